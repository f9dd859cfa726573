"""Checks the suite's verdicts in REPORT_DIR/index.json against what is known of a peer, for
selfcheck.sh: that the set-up judges as the suite is published to judge.

    python3 known-verdicts.py websockets REPORT_DIR   # Python's websockets, a known-good peer
    python3 known-verdicts.py ceiling REPORT_DIR      # Benchmarks/CeilingEcho, which checks nothing

websockets: what its compliance notes (compliance/README.rst in python-websockets/websockets)
publish: NON-STRICT in 3.2, 3.3, 4.1.3, 4.1.4, 4.2.3, 4.2.4 and 5.15 (it closes on the protocol
error before the application echoes the frame before it) and in 6.4.1-6.4.4 (it notices invalid
UTF-8 in a fragment later than the suite likes); FAILED in 7.1.5 (it answers a Close in the
middle of a fragmented message with 1002, where the suite wants 1000); INFORMATIONAL by design
in 7.1.6, 7.13.1 and 7.13.2; OK in every other case. Whether the echo of the frame before the
error leaves first is a race, so those cases may come out OK too, and 4.1.5 and 4.2.5 (the same
sequence as 4.1.4 and 4.2.4, with a payload) NON-STRICT: both are seen here, in this set-up and
in another run beside it.

ceiling: an echo that checks nothing must fail where RFC 6455 requires something of it: a Pong
for a Ping (2.2), the same inside a fragmented message (5.6), and failing on invalid UTF-8 (6.3.1).
"""
import json
import sys

NON_STRICT = {"3.2", "3.3", "4.1.3", "4.1.4", "4.2.3", "4.2.4", "5.15", "6.4.1", "6.4.2", "6.4.3", "6.4.4"}
RACES = {"4.1.5", "4.2.5"}  # published OK; NON-STRICT when websockets closes before the echo leaves
FAILED = {"7.1.5"}
INFORMATIONAL = {"7.1.6", "7.13.1", "7.13.2"}
CEILING_FAILS = {"2.2", "5.6", "6.3.1"}


def main(peer, report_dir):
    cases = next(iter(json.load(open(f"{report_dir}/index.json")).values()))
    wrong = []
    for case, verdict in sorted(cases.items()):
        behavior = verdict["behavior"]
        if peer == "websockets":
            allowed = ({"NON-STRICT", "OK"} if case in NON_STRICT | RACES else {"FAILED"} if case in FAILED
                       else {"INFORMATIONAL"} if case in INFORMATIONAL else {"OK"})
        else:
            allowed = {"FAILED"} if case in CEILING_FAILS else None
        if allowed is not None and behavior not in allowed:
            wrong.append(f"{case}: {behavior}, published {' or '.join(sorted(allowed))}")
    missing = CEILING_FAILS - set(cases) if peer == "ceiling" else set()
    wrong += [f"{case}: not run" for case in sorted(missing)]
    name = report_dir.rstrip("/").split("/")[-1]
    if wrong:
        print(f"known-verdicts: {peer} ({name}): {len(wrong)} of {len(cases)} cases judged otherwise than published:")
        for line in wrong:
            print(f"  {line}")
        return 1
    print(f"known-verdicts: {peer} ({name}): {len(cases)} cases, every verdict as published")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("websockets", "ceiling"):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))

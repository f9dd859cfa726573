#!/usr/bin/env python3
"""Fails unless every Autobahn case in the given reports is OK.

  Tests/Conformance/autobahn-verdict.py REPORTDIR [REPORTDIR ...]

Prints, per agent, the summary line `AGENT: N cases OK=.. NON-STRICT=.. ...` and the ids of
every case whose behaviour or close behaviour is not OK. INFORMATIONAL is accepted only for
the cases the suite marks informational by design: 7.1.6 and 7.13.*.
"""
import json, os, sys

INFORMATIONAL_BY_DESIGN = ("7.1.6", "7.13.")


def key(case):
    return [int(p) for p in case.split(".")]


def main(dirs):
    ok = True
    for d in dirs:
        with open(os.path.join(d, "index.json")) as f:
            index = json.load(f)
        if not index:
            ok = False
            print("[%s]: no case ran (did the testee start?)" % d)
        for agent, cases in index.items():
            counts, bad = {}, []
            for case in sorted(cases, key=key):
                result = cases[case]
                behavior, close = result["behavior"], result["behaviorClose"]
                counts[behavior] = counts.get(behavior, 0) + 1
                allowed = behavior == "OK" or (behavior == "INFORMATIONAL" and case.startswith(INFORMATIONAL_BY_DESIGN))
                if not allowed or close not in ("OK", "INFORMATIONAL"):
                    bad.append("%s(%s/%s)" % (case, behavior, close))
            print("%s [%s]: %d cases  %s" % (agent, d, len(cases), "  ".join(
                "%s=%d" % (k, counts.get(k, 0)) for k in ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"))))
            if bad:
                ok = False
                print("  not OK: " + ", ".join(bad))
            if not cases:
                ok = False
                print("  no cases ran")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) if len(sys.argv) > 1 else 2)

#!/usr/bin/env python3
"""Prints the table of Docs/Conformance.md from Autobahn reports: per section, per run.

  Tests/Conformance/autobahn-table.py "TITLE=REPORTDIR" ["TITLE=REPORTDIR" ...]

A cell counts the cases of that section by behaviour ("16 OK", "34 OK, 3 INFORMATIONAL");
cases a client's own log says crashed (lines "case N (ID): the client process …" in
REPORTDIR/client.log) are added in bold.
"""
import json, os, re, sys

NAMES = {1: "framing", 2: "ping/pong", 3: "reserved bits", 4: "opcodes", 5: "fragmentation", 6: "UTF-8",
         7: "close", 9: "limits and performance", 10: "auto-fragmentation", 12: "permessage-deflate, payloads",
         13: "permessage-deflate, parameters"}


def main(arguments):
    runs = [argument.split("=", 1) for argument in arguments]
    results, crashed = {}, {}
    for title, directory in runs:
        with open(os.path.join(directory, "index.json")) as f:
            for cases in json.load(f).values():
                results[title] = cases
        log = os.path.join(directory, "client.log")
        text = open(log).read() if os.path.exists(log) else ""
        crashed[title] = set(re.findall(r"^case \d+ \(([\d.]+)\): the client process", text, re.M))
    sections = sorted({int(c.split(".")[0]) for cases in results.values() for c in cases})
    print("| section | " + " | ".join(title for title, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for section in sections:
        cells = []
        for title, _ in runs:
            ids = [c for c in results[title] if int(c.split(".")[0]) == section]
            counts = {}
            for c in ids:
                behavior = results[title][c]["behavior"]
                counts[behavior] = counts.get(behavior, 0) + 1
            cell = ", ".join("%d %s" % (counts[k], k) for k in ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
                             if counts.get(k))
            broken = len([c for c in ids if c in crashed[title]])
            if broken:
                cell += "; **%d crashed**" % broken
            cells.append(cell or "-")
        print("| %d.* %s | %s |" % (section, NAMES.get(section, ""), " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) if len(sys.argv) > 1 else 2)

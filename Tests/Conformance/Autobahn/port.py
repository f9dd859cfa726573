"""Ports the Autobahn|Testsuite's source (Python 2 only) to Python 3, in place, at the source
level. What cannot be said in source is done at run time by wstest3.py.

    python3 port.py DIR      # DIR: the unpacked package folder, autobahntestsuite/

The test cases and their verdicts stay as written. The one rule behind every change: a Python 2
byte string becomes, on Python 3, a str whose characters are its bytes (latin-1), and it turns
back into those very bytes wherever it meets the network (wstest3.py).

1. Before anything else, the non-ASCII characters in plain string literals become \\xNN escapes
   of their UTF-8 bytes: in a Python 2 source file in UTF-8, "µ" was the two bytes c2 b5, and
   the escaped literal gives the same two characters, hence the same bytes.
2. lib2to3 with all its default fixers (print, except, imports, dict methods, ...).
3. A few exact edits, each checked against the number of places it must change, so that a
   different version of the suite fails here instead of running half ported:
   - classes made with type(name, (object, Case), ...): on Python 3 that order of bases has no
     method resolution order; (Case,) is what Python 2 meant;
   - integer divisions written '/' (Python 2 divided ints to an int);
   - the wire log joins frames of bytes; two report lines that encoded text before writing it
     to a text file.
"""
import io
import os
import re
import sys
import tokenize


def escape_non_ascii(source):
    """Rewrites the non-ASCII characters of unprefixed string literals as \\xNN escapes of their
    UTF-8 bytes. Returns the new source and how many literals changed."""
    lines = source.splitlines(keepends=True)
    edits = []  # (row, start column, end column, new text), on single-line tokens
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING or token.string.isascii():
            continue
        prefix = re.match(r"[A-Za-z]*", token.string).group(0).lower()
        if "u" in prefix or "b" in prefix:
            continue  # a unicode literal stays text; a bytes literal cannot hold non-ASCII
        if "r" in prefix or token.start[0] != token.end[0]:
            raise SystemExit(f"port.py: a raw or multi-line literal holds non-ASCII at line {token.start[0]}: "
                             "escape it by hand")
        text = "".join(c if c.isascii() else "".join(f"\\x{b:02x}" for b in c.encode("utf-8")) for c in token.string)
        edits.append((token.start[0] - 1, token.start[1], token.end[1], text))
    for row, start, end, text in reversed(edits):
        lines[row] = lines[row][:start] + text + lines[row][end:]
    return "".join(lines), len(edits)


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def edit(root, relative, pattern, replacement, count):
    """Replaces pattern (a regular expression) in each file matching relative (a glob under
    root); fails unless it changes exactly count places in all."""
    import glob
    changed = 0
    for path in sorted(glob.glob(os.path.join(root, relative))):
        text = read(path)
        new, n = re.subn(pattern, replacement, text)
        if n:
            write(path, new)
            changed += n
    if changed != count:
        raise SystemExit(f"port.py: {relative}: {pattern!r} matched {changed} places, not {count}: "
                         "is this autobahntestsuite 25.10.1?")


def main(root):
    if not os.path.isfile(os.path.join(root, "fuzzing.py")):
        raise SystemExit(f"port.py: {root} is not the autobahntestsuite package folder")
    escaped = 0  # literals
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                new, n = escape_non_ascii(read(path))
                if n:
                    write(path, new)
                    escaped += n
    if escaped != 5:
        raise SystemExit(f"port.py: {escaped} string literals hold non-ASCII, not the 5 expected")

    from lib2to3.main import main as lib2to3_main
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    status = lib2to3_main("lib2to3.fixes", ["--write", "--nobackups", "--no-diffs", "--fix=all", root])
    if status:
        raise SystemExit(f"port.py: lib2to3 failed ({status})")

    edit(root, "case/*.py", r"\(object, Case, ?\)", "(Case,)", 6)
    edit(root, "case/case10_1_1.py", r"len\(self\.payload\) / self\.p\.autoFragmentSize",
         "len(self.payload) // self.p.autoFragmentSize", 1)
    edit(root, "util.py", r"\bl / 2\b", "l // 2", 1)
    edit(root, "util.py", r"(second_diff|day_diff) ?/ ?(60|3600|7|30|365)\b", r"\1 // \2", 5)
    edit(root, "fuzzing.py", r"p = ''\.join\(payload\)", "p = b''.join(payload)", 1)
    edit(root, "fuzzing.py", r"\)\)\.encode\(\"utf-8\"\)\)", ")))", 1)
    edit(root, "fuzzing.py", r"ll\.encode\('utf8'\)\)\)", "ll))", 1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: port.py DIR (the autobahntestsuite package folder)")
    main(sys.argv[1])

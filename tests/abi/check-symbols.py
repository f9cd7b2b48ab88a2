#!/usr/bin/env python3
"""The exported ABI is exactly what libmdata.map lists and what mdata.h
declares with MDATA_EXPORT: no more, no less.

usage: check-symbols.py LIBMDATA_SO MAP HEADER"""
import re
import subprocess
import sys


def main() -> int:
    lib, map_path, header = sys.argv[1:4]
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    exported = {line.split()[-1].split("@")[0] for line in out.splitlines()
                if line.split()[1:2] and line.split()[1] in ("T", "D", "B", "R")}
    exported = {s for s in exported if not s.startswith("LIBMDATA_")}
    text = re.sub(r"/\*.*?\*/", "", open(map_path).read(), flags=re.S)
    global_part = text.split("global:")[1].split("local:")[0]
    mapped = {s.strip() for s in global_part.split(";") if s.strip()}
    htext = re.sub(r"/\*.*?\*/", "", open(header).read(), flags=re.S)
    declared = set(re.findall(r"MDATA_EXPORT[^;(]*?\b(mdata_\w+)\s*\(", htext))
    ok = True
    for what, a, b in (("exported but not in the map", exported, mapped),
                       ("in the map but not exported", mapped, exported),
                       ("exported but not declared MDATA_EXPORT", exported, declared),
                       ("declared MDATA_EXPORT but not exported", declared, exported)):
        extra = sorted(a - b)
        if extra:
            ok = False
            print("%s: %s" % (what, ", ".join(extra)))
    internal = sorted(s for s in exported if s.startswith("mdata__"))
    if internal:
        ok = False
        print("internal symbols exported: " + ", ".join(internal))
    print("%d symbols checked" % len(exported))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

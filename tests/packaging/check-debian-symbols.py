#!/usr/bin/env python3
"""debian/libmdata0.symbols lists exactly the symbols lib/libmdata.map
exports, each with its version node. The package build checks the built
library against the symbols file (dpkg-gensymbols -c4) and fails on any
difference; this test says so in seconds, in every build.

usage: check-debian-symbols.py SOURCE_ROOT"""
import os
import re
import sys


def map_symbols(path):
    """{symbol: version node} of the global parts of a version script."""
    text = re.sub(r"/\*.*?\*/", "", open(path, encoding="utf-8").read(), flags=re.S)
    found = {}
    for node, body in re.findall(r"([\w.]+)\s*\{(.*?)\}", text, flags=re.S):
        part = body.split("global:", 1)[-1].split("local:", 1)[0]
        for name in (s.strip() for s in part.split(";")):
            if name:
                found[name] = node
    return found


def debian_symbols(path):
    """{symbol: version node} of a dpkg symbols file (the nodes' own
    LIBMDATA_x@LIBMDATA_x entries left out)."""
    found = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^ (\S+)@(\S+) ", line)
        if m and m.group(1) != m.group(2):
            found[m.group(1)] = m.group(2)
    return found


def main() -> int:
    root = sys.argv[1]
    mapped = map_symbols(os.path.join(root, "lib", "libmdata.map"))
    listed = debian_symbols(os.path.join(root, "debian", "libmdata0.symbols"))
    ok = True
    for name in sorted(set(mapped) - set(listed)):
        ok = False
        print("exported but not in debian/libmdata0.symbols: add\n"
              " %s@%s %s" % (name, mapped[name], "<first version with it>"))
    for name in sorted(set(listed) - set(mapped)):
        ok = False
        print("in debian/libmdata0.symbols but no longer exported: %s "
              "(removing a symbol breaks the ABI: new soname)" % name)
    for name in sorted(set(mapped) & set(listed)):
        if mapped[name] != listed[name]:
            ok = False
            print("%s: node %s in the map, %s in debian/libmdata0.symbols"
                  % (name, mapped[name], listed[name]))
    print("%d symbols, map and debian/libmdata0.symbols %s"
          % (len(mapped), "agree" if ok else "differ (see debian/README.source)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The version is meson's project version; the other places that must say
it too are checked against it: debian/changelog's newest entry, the Python
package's pyproject.toml and mdata.__version__.

usage: check-versions.py SOURCE_ROOT [MESON_VERSION]
Without MESON_VERSION it asks `meson introspect`. Exit 0 when all agree,
1 (with what differs and how to fix it) otherwise."""
import json
import os
import re
import subprocess
import sys


def first_match(path, pattern):
    with open(path, encoding="utf-8") as f:
        m = re.search(pattern, f.read(), re.M)
    return m.group(1) if m else "(none found)"


def main() -> int:
    root = sys.argv[1]
    if len(sys.argv) > 2:
        meson_version = sys.argv[2]
    else:
        out = subprocess.run(["meson", "introspect", "--projectinfo",
                              os.path.join(root, "meson.build")],
                             check=True, capture_output=True, text=True).stdout
        meson_version = json.loads(out)["version"]
    places = {
        # "libmdata (0.1.0) unstable; ..." : a native package, no revision
        "debian/changelog": first_match(os.path.join(root, "debian", "changelog"),
                                        r"^\S+ \(([^)]*)\)"),
        "bindings/python/pyproject.toml": first_match(
            os.path.join(root, "bindings", "python", "pyproject.toml"),
            r'^version\s*=\s*"([^"]*)"'),
        "bindings/python/mdata/__init__.py": first_match(
            os.path.join(root, "bindings", "python", "mdata", "__init__.py"),
            r'^__version__\s*=\s*"([^"]*)"'),
    }
    wrong = {p: v for p, v in places.items() if v != meson_version}
    for path, version in wrong.items():
        print("%s says %s, meson.build says %s" % (path, version, meson_version))
    if "debian/changelog" in wrong:
        print("add an entry for %s at the top of debian/changelog (by hand, "
              "or with devscripts' dch -v %s)" % (meson_version, meson_version))
    if not wrong:
        print("version %s everywhere: %s" % (meson_version, ", ".join(places)))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())

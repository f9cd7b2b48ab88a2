#!/usr/bin/env python3
"""Print this machine's apt sources for its own Debian release, one
"deb URI SUITE COMPONENT..." line each, for mmdebstrap: the entries of
/etc/apt/sources.list and /etc/apt/sources.list.d/ (one-line .list and
deb822 .sources) whose suite is CODENAME, CODENAME-updates or
CODENAME-security. Third-party repositories (other suites) are left out:
the test root needs Debian's own packages only.

usage: apt-sources.py CODENAME [APT_ETC]"""
import glob
import os
import re
import sys


def one_line_entries(text):
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        line = re.sub(r"\[[^\]]*\]", " ", line)  # [options]
        words = line.split()
        if len(words) >= 4 and words[0] == "deb":
            yield words[1], words[2], words[3:]


def deb822_entries(text):
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                yield uri, suite, fields.get("components", "").split()


def main() -> int:
    codename = sys.argv[1]
    etc = sys.argv[2] if len(sys.argv) > 2 else "/etc/apt"
    wanted = {codename, codename + "-updates", codename + "-security"}
    seen = []
    paths = [os.path.join(etc, "sources.list")]
    paths += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*")))
    for path in paths:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        entries = deb822_entries(text) if path.endswith(".sources") \
            else one_line_entries(text) if path.endswith(".list") else ()
        for uri, suite, components in entries:
            line = "deb %s %s %s" % (uri, suite, " ".join(components or ["main"]))
            if suite in wanted and line not in seen:
                seen.append(line)
    for line in seen:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

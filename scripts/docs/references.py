#!/usr/bin/env python3
"""Finds text in the repository that speaks of things outside the project.

Every file git tracks is read (binary files are skipped) and each line, and each
file's path, is checked for:

- issue references: the word "issue" or "issues" followed by a number, as in prose,
  in a file name (with - or _ between) or in an issue tracker's address;
- `#` and a number, the usual way of naming an issue or a pull request;
- the word in WORD below, in any form and any case: the project never uses it, and
  says what is meant instead;
- absolute paths of the development machine: anything in the top-level folders
  work, root and home.

    scripts/docs/references.py [REPOSITORY]

prints one line per finding (path:line: what: the line; line 0 is the path itself)
and exits 1 if there is one, 0 if there is none, 2 if the folder is not a git
repository.

No file and no line is exempt. The patterns below are written so that they do not
match their own text (a character class, a group), and the tests build the strings
they plant from parts, so that this check passes on its own files too.
"""

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# "se" + "ed", as a class so that this file does not name it.
WORD = r"s[e]ed"

PATTERNS = {
    "issue reference": re.compile(r"\bissues?[\s#:/_-]*\d", re.IGNORECASE),
    # After a letter, digit, `&` or `/` a `#` is part of something else: an anchor
    # (page#1), an HTML entity (&#39;), a path.
    "number reference": re.compile(r"(?<![\w&/])#\d"),
    "outside word": re.compile(WORD, re.IGNORECASE),
    # At the start of a path only: a folder named work deeper down is another path.
    "machine path": re.compile(r"(?<![\w.~-])/(?:work|root|home)/"),
}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.text.strip()[:160]}"


def tracked_files(root: Path) -> list[str]:
    """The paths git tracks under root, relative to it."""
    listing = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True)
    return [name for name in listing.stdout.decode().split("\0") if name]


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file (a NUL byte, or not UTF-8) or a link."""
    if path.is_symlink() or not path.is_file():
        return None
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def find_references(root: Path) -> list[Finding]:
    """Every finding in the tracked files' text, and in their paths (as line 0)."""
    findings = []
    for name in tracked_files(root):
        for kind, pattern in PATTERNS.items():
            if kind != "machine path" and pattern.search(name):
                findings.append(Finding(name, 0, kind, name))
        text = text_of(root / name)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for kind, pattern in PATTERNS.items():
                if pattern.search(line):
                    findings.append(Finding(name, number, kind, line))
    return sorted(findings)


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else ".").resolve()
    try:
        findings = find_references(root)
    except subprocess.CalledProcessError as error:
        print(f"references: {root} is not a git repository: {error.stderr.decode().strip()}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    files = len({finding.path for finding in findings})
    print(f"references: {len(findings)} outside the project in {files} files", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The reference check finds what it is for, in files git tracks, and nothing else.

Each test plants text in a temporary git repository (a copy of this one's tracked
files, or a small one of its own) and runs the check as the docs suite does. The
planted strings are built from parts, so that this file passes the check it tests.
"""

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHECK = HERE / "references.py"
sys.path.insert(0, str(HERE))

import references  # noqa: E402  (the module under test, beside this file)

ISSUE = "issue" + " 12"
WORD = "se" + "ed"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def new_repository(files: dict[str, str | bytes]) -> Path:
    """A git repository in a temporary folder with these files tracked."""
    root = Path(tempfile.mkdtemp(prefix="references-"))
    git(root, "init", "--quiet")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    git(root, "add", "--all")
    return root


def run_check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), str(root)], capture_output=True, text=True)


class PlantedInACopyOfThisRepository(unittest.TestCase):
    """In a copy of every tracked file, a planted reference is found, where it is planted."""

    @classmethod
    def setUpClass(cls):
        cls.root = Path(tempfile.mkdtemp(prefix="references-copy-"))
        for name in references.tracked_files(REPO_ROOT):
            source = REPO_ROOT / name
            if source.is_symlink() or source.is_file():
                target = cls.root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)
        git(cls.root, "init", "--quiet")
        git(cls.root, "add", "--all")
        cls.before = set(references.find_references(cls.root))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root)

    def plant(self, name: str, line: str) -> set:
        path = self.root / name
        original = path.read_text(encoding="utf-8")
        try:
            path.write_text(original + line + "\n", encoding="utf-8")
            git(self.root, "add", name)
            result = run_check(self.root)
            found = set(references.find_references(self.root)) - self.before
        finally:
            path.write_text(original, encoding="utf-8")
            git(self.root, "add", name)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertTrue(any(line.strip()[:40] in out for out in result.stdout.splitlines()), result.stdout)
        return found

    def test_an_issue_number_in_the_readme(self):
        found = self.plant("README.md", f"Fixed in {ISSUE}.")
        self.assertEqual({(f.path, f.kind) for f in found}, {("README.md", "issue reference")})

    def test_a_hash_number_in_a_stack_readme(self):
        found = self.plant("stack/README.md", "As asked in upstream " + "#" + "3.")
        self.assertEqual({(f.path, f.kind) for f in found}, {("stack/README.md", "number reference")})

    def test_the_word_in_a_script_comment(self):
        found = self.plant("stack/up.sh", f"# Like the {WORD.upper()}'s stack.")
        self.assertEqual({(f.path, f.kind) for f in found}, {("stack/up.sh", "outside word")})

    def test_a_machine_path_in_python(self):
        found = self.plant("stack/tests/watch.py", "# Written in " + "/" + "work/tree/x.")
        self.assertEqual({(f.path, f.kind) for f in found}, {("stack/tests/watch.py", "machine path")})


class WhatCountsAndWhatDoesNot(unittest.TestCase):
    def findings(self, files: dict) -> list[tuple[str, str]]:
        root = new_repository(files)
        try:
            return [(f.path, f.kind) for f in references.find_references(root)]
        finally:
            shutil.rmtree(root)

    def test_every_form_of_the_word_in_any_case(self):
        lines = [f"{WORD}s", f"{WORD.capitalize()}ed", f"re{WORD}", f"{WORD}_properties", WORD.upper()]
        found = self.findings({f"f{i}.txt": line for i, line in enumerate(lines)})
        self.assertEqual(len(found), len(lines))

    def test_issue_forms(self):
        planted = ["see " + "issue" + "s 3 and 10", "Issue #" + "4", "issue" + ":7",
                   "github.com/o/r/" + "issues/" + "643"]
        found = self.findings({f"f{i}.md": p for i, p in enumerate(planted)})
        self.assertEqual({path for path, kind in found if kind == "issue reference"},
                         {f"f{i}.md" for i in range(len(planted))})

    def test_what_is_not_a_reference(self):
        clean = {
            "a.md": "Two issues remain; nothing was issued for 127.0.0.1.",
            "b.html": "&#" + "39; and page#" + "2 and a/#" + "3",
            "c.sh": 'echo "${' + '#list[@]}" $' + "#",
            "d.txt": "proceed, exceed, succeed",
            "e.txt": "/usr/local/bin, /tmp/x, /var/lib/work/",
        }
        self.assertEqual(self.findings(clean), [])

    def test_a_path_is_checked_too(self):
        found = self.findings({f"tests/{WORD}_properties.hcl": "fine", "notes/issue" + "-7.md": "fine"})
        self.assertEqual(sorted(found), [("notes/issue" + "-7.md", "issue reference"),
                                         (f"tests/{WORD}_properties.hcl", "outside word")])

    def test_untracked_and_binary_files_are_not_read(self):
        root = new_repository({"tracked.bin": b"\0" + ISSUE.encode(), "ok.txt": "fine"})
        try:
            (root / "untracked.md").write_text(ISSUE, encoding="utf-8")
            self.assertEqual(references.find_references(root), [])
            self.assertEqual(run_check(root).returncode, 0)
        finally:
            shutil.rmtree(root)

    def test_the_check_passes_on_its_own_files(self):
        """They describe and plant every kind of reference, without making one."""
        own = [f for f in references.find_references(REPO_ROOT) if f.path.startswith("scripts/docs/")]
        self.assertEqual(own, [], "\n".join(map(str, own)))

    def test_not_a_repository(self):
        root = Path(tempfile.mkdtemp(prefix="references-none-"))
        try:
            result = run_check(root)
            self.assertEqual(result.returncode, 2)
            self.assertIn("not a git repository", result.stderr)
        finally:
            shutil.rmtree(root)


if __name__ == "__main__":
    unittest.main()

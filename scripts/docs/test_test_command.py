"""./scripts/test documents itself: --help lists every suite with what it needs, and an
unknown suite name is refused with the same list, running nothing."""

import subprocess
import unittest
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SUITES = sorted(path.stem for path in (REPO_ROOT / "scripts" / "check").glob("*.sh"))


def test_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO_ROOT / "scripts" / "test"), *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def listed(text: str) -> list[str]:
    """The suite names of the help's suite list, in order."""
    lines = text.split("Suites (scripts/check/<suite>.sh)", 1)[1].splitlines()[1:]
    return [line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("   ")]


class Help(unittest.TestCase):
    def test_help_lists_every_suite_and_what_it_needs(self):
        for flag in ("--help", "-h"):
            result = test_command(flag)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(sorted(listed(result.stdout)), SUITES)
            self.assertEqual(result.stdout.count("needs: "), len(SUITES))
            self.assertNotIn("==> suite", result.stderr)

    def test_an_unknown_suite_runs_nothing_and_lists_the_suites(self):
        result = test_command("docs", "no-such-suite")
        self.assertEqual(result.returncode, 2)
        self.assertIn("no such suite: no-such-suite", result.stderr)
        self.assertEqual(sorted(listed(result.stderr)), SUITES)
        self.assertNotIn("==> suite", result.stderr)


if __name__ == "__main__":
    unittest.main()

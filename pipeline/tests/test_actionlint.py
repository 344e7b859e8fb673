"""actionlint (with ShellCheck on every `run:` script) passes on every workflow, and does
catch a broken one, so a green result means something."""

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, WORKFLOWS

# Installed beside this environment's python by pipeline/tests/requirements.txt.
BIN = Path(sys.executable).parent


def actionlint(*args, cwd=REPO_ROOT):
    binary = BIN / "actionlint"
    assert binary.exists(), "actionlint is missing: install pipeline/tests/requirements.txt"
    assert (BIN / "shellcheck").exists(), "shellcheck is missing: install pipeline/tests/requirements.txt"
    # ShellCheck is found on PATH; put ours first.
    env = {"PATH": f"{BIN}:/usr/bin:/bin"}
    return subprocess.run([str(binary), "-color=false", *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_every_workflow_passes():
    workflows = sorted(str(path) for path in WORKFLOWS.glob("*.y*ml"))
    assert len(workflows) >= 2
    result = actionlint(*workflows)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_is_caught(tmp_path):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(WORKFLOWS / "ci.yml", tmp_path / ".github" / "workflows" / "ci.yml")
    text = (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")
    # A job needing one that does not exist, and a shell bug in a run script.
    text = text.replace("needs: [ci, build-image]", "needs: [ci, build-images]")
    text = text.replace('echo "image=$image" >>"$GITHUB_OUTPUT"\n          echo "Image of',
                        'echo "image=$image" >>$GITHUB_OUTPUT\n          echo "Image of')
    broken = tmp_path / ".github" / "workflows" / "deploy.yml"
    broken.write_text(text, encoding="utf-8")
    result = actionlint(str(broken), cwd=tmp_path)
    assert result.returncode != 0
    assert "build-images" in result.stdout
    assert "SC2086" in result.stdout  # ShellCheck ran on the run: script

"""zizmor finds nothing in .github/ (every workflow file and dependabot.yml), offline,
and does flag a broken copy, so a clean result means something. Each ignore is a
`# zizmor: ignore[<audit>]` comment on the line it concerns, with its reason above it."""

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT

BIN = Path(sys.executable).parent


def zizmor(directory: Path):
    binary = BIN / "zizmor"
    assert binary.exists(), "zizmor is missing: install pipeline/tests/requirements.txt"
    # --offline: no GitHub API (the audits that need one cannot run here).
    return subprocess.run([str(binary), "--offline", "--no-progress", "--format", "plain", str(directory)],
                          capture_output=True, text=True, timeout=300)


def test_no_findings_in_the_workflows_and_dependabot():
    assert len(list((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))) >= 2
    result = zizmor(REPO_ROOT / ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_a_broken_copy_is_caught(tmp_path):
    copy = tmp_path / ".github"
    shutil.copytree(REPO_ROOT / ".github", copy)
    dependabot = copy / "dependabot.yml"
    dependabot.write_text(dependabot.read_text().replace("    cooldown:\n      default-days: 7\n", "", 1))
    deploy = copy / "workflows" / "deploy.yml"
    promote = 'run: pipeline/ecr_image.py promote --image "$IMAGE" --tag "dev-verified-$GITHUB_SHA"'
    text = deploy.read_text()
    assert promote in text
    deploy.write_text(text.replace(promote, 'run: echo "${{ github.event.head_commit.message }}"', 1))
    result = zizmor(copy)
    assert result.returncode != 0
    assert "dependabot-cooldown" in result.stdout and "template-injection" in result.stdout

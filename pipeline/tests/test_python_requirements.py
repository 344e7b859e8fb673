"""Every Python package the test command installs is pinned with its hash.

The suites' tools come from PyPI into .venv/ (scripts/lib/python.sh), and what they
build can reach a deploy: the container suite's binary is the deploy workflow's
rollout watcher. So every requirements file the repository holds pins its whole
closure with hashes (pip-compile --generate-hashes from the .in file beside it), and
python_env installs each in pip's hash-checking mode, which refuses a file without
them.
"""

import os
import re
import subprocess

from conftest import REPO_ROOT

REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==\S+")


def requirements_files() -> list[str]:
    listed = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "*requirements*.txt"],
                            capture_output=True, text=True, check=True).stdout.split()
    return sorted(listed)


def unhashed(text: str) -> list[str]:
    """The requirements of a file (joined over its continuation lines) without a hash."""
    entries = re.sub(r"\\\n\s*", " ", text).splitlines()
    return [entry.split()[0] for entry in entries
            if entry.strip() and not entry.lstrip().startswith("#") and "--hash=sha256:" not in entry]


def test_every_requirements_file_pins_hashes():
    files = requirements_files()
    assert {"pipeline/requirements.txt", "pipeline/tests/requirements.txt", "infra/tests/requirements.txt",
            "infra/tests/awscli-requirements.txt", "infra/tests/checkov-requirements.txt",
            "scripts/moto/requirements.txt", "stack/tests/requirements.txt"} <= set(files), files
    problems = {}
    for name in files:
        text = (REPO_ROOT / name).read_text(encoding="utf-8")
        entries = [entry for entry in re.sub(r"\\\n\s*", " ", text).splitlines()
                   if entry.strip() and not entry.lstrip().startswith("#")]
        assert entries and all(REQUIREMENT.match(entry) for entry in entries), f"{name}: not all exact pins"
        if unhashed(text):
            problems[name] = unhashed(text)
    assert problems == {}, problems


def test_the_check_sees_a_missing_hash():
    assert unhashed("boto3==1.0 \\\n    --hash=sha256:00\npytest==9.2.0\n") == ["pytest==9.2.0"]


def test_python_env_refuses_a_file_without_hashes(tmp_path):
    # python_env installs in hash-checking mode: pip refuses before it downloads anything.
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.17.0\n")
    name = f"hash-check-{os.getpid()}"
    script = f'source scripts/lib/common.sh && source scripts/lib/python.sh && python_env {name} "{requirements}"'
    try:
        result = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    finally:
        subprocess.run(["rm", "-rf", str(REPO_ROOT / ".venv" / name)], check=False)
    assert result.returncode != 0
    assert "Hashes are required in --require-hashes mode" in result.stderr, result.stderr

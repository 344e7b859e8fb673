"""promoted_commit.sh: which commit's dev-verified image a push to main deploys."""

import subprocess

import pytest
from conftest import PIPELINE

SCRIPT = PIPELINE / "promoted_commit.sh"


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def commit(repo, name, content):
    (repo / name).write_text(content)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"{name}: {content}")
    return git(repo, "rev-parse", "HEAD")


def promoted(repo, ref="HEAD"):
    return subprocess.run([str(SCRIPT), ref], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """main with one commit, dev two commits ahead of it."""
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "ci@example.invalid")
    git(tmp_path, "config", "user.name", "ci")
    git(tmp_path, "config", "commit.gpgsign", "false")
    commit(tmp_path, "a.txt", "1")
    git(tmp_path, "checkout", "-q", "-b", "dev")
    commit(tmp_path, "a.txt", "2")
    commit(tmp_path, "b.txt", "1")
    git(tmp_path, "checkout", "-q", "main")
    return tmp_path


def test_fast_forward_promotes_the_pushed_commit(repo):
    dev_head = git(repo, "rev-parse", "dev")
    git(repo, "merge", "-q", "--ff-only", "dev")
    assert promoted(repo) == dev_head


def test_merge_commit_with_devs_tree_promotes_devs_head(repo):
    dev_head = git(repo, "rev-parse", "dev")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge dev", "dev")
    assert git(repo, "rev-parse", "HEAD") != dev_head
    assert promoted(repo) == dev_head


def test_merge_that_brings_other_changes_promotes_itself(repo):
    commit(repo, "hotfix.txt", "only on main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge dev", "dev")
    merge = git(repo, "rev-parse", "HEAD")
    assert promoted(repo) == merge  # dev never verified this tree: prod will refuse it


def test_squash_merge_promotes_itself(repo):
    git(repo, "merge", "-q", "--squash", "dev")
    git(repo, "commit", "-q", "-m", "squashed dev")
    squash = git(repo, "rev-parse", "HEAD")
    assert promoted(repo) == squash


def test_unknown_commit_is_refused(repo):
    result = subprocess.run([str(SCRIPT), "f" * 40], cwd=repo, capture_output=True, text=True)
    assert result.returncode == 2 and "is not a commit here" in result.stderr

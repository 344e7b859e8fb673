"""infra/bootstrap.sh refuses, one line each, values that would make a broken deployment,
before it touches any account.

Each test runs the real script in a git clone of infra/ (as a user has it) whose
values are set the way a user gets them wrong. Terraform reads the values; the AWS
CLI must be on PATH (scripts/check/infra.sh puts it there) but is never reached.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parent.parent
GOOD = {
    "envs/shared": {"github_repository": '"http-echo-maintainers/http-echo"'},
    "envs/dev-access": {"github_repository": '"http-echo-maintainers/http-echo"'},
    "envs/prod-access": {"github_repository": '"http-echo-maintainers/http-echo"'},
    "envs/dev": {"alarm_emails": '["oncall@http-echo.internal"]'},
    "envs/prod": {"alarm_emails": '["oncall@http-echo.internal"]'},
}


def set_value(clone: Path, root: str, name: str, value: str) -> None:
    path = clone / "infra" / root / "terraform.tfvars"
    # A value on one line, or a map or list over several (none of ours nests).
    text, count = re.subn(rf"(?m)^{name}(\s*)=\s*(\{{[^}}]*\}}|\[[^\]]*\]|.*$)", lambda m: f"{name}{m[1]}= {value}",
                          path.read_text())
    if count == 0:
        text += f"\n{name} = {value}\n"
    path.write_text(text)


def git(clone: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=test", "-c", "user.email=test@http-echo.internal", *args],
                   check=True, capture_output=True)


@pytest.fixture
def clone(tmp_path):
    """A committed clone of infra/, with the committed (placeholder) values."""
    shutil.copytree(INFRA, tmp_path / "infra", symlinks=True,
                    ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "github-variables", "__pycache__"))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "the project")
    return tmp_path


def commit_values(clone: Path, values: dict) -> None:
    for root, settings in values.items():
        for name, value in settings.items():
            set_value(clone, root, name, value)
    git(clone, "commit", "-qam", "values")


def bootstrap(clone: Path) -> tuple[int, list[str]]:
    result = subprocess.run([str(clone / "infra" / "bootstrap.sh")], cwd=clone, capture_output=True, text=True,
                            timeout=300)
    return result.returncode, [line for line in result.stderr.splitlines() if line.startswith("bootstrap: error: ")]


def test_the_committed_placeholders_are_refused(clone):
    code, errors = bootstrap(clone)
    assert code == 1
    assert errors == [
        "bootstrap: error: infra/envs/shared/terraform.tfvars: github_repository is the placeholder "
        "example-org/http-echo: put the repository that holds this project (OWNER/NAME)",
        "bootstrap: error: infra/envs/dev/terraform.tfvars: alarm_emails is empty: put the team's address there, "
        "or nobody hears of dev's alarms",
        "bootstrap: error: infra/envs/prod/terraform.tfvars: alarm_emails is empty: put the team's address there, "
        "or nobody hears of prod's alarms",
    ]


def test_values_that_are_not_committed_are_refused(clone):
    commit_values(clone, GOOD)
    set_value(clone, "envs/dev", "desired_count", "3")
    code, errors = bootstrap(clone)
    assert (code, errors) == (1, [
        "bootstrap: error: infra/envs/dev/terraform.tfvars has changes that are not committed: commit them "
        "(the pipeline applies the committed files)"])


def test_the_two_layouts_mixed_up_are_refused(clone):
    # dev in an account of its own, but dev-access still set for the one-account
    # layout; prod in an account that is the example of the comment; and a
    # repository that differs between the roots.
    accounts = '{ dev = "444455556666", prod = "333333333333" }'
    commit_values(clone, {**GOOD, "envs/shared": {**GOOD["envs/shared"], "environment_account_ids": accounts},
                          "envs/prod-access": {"github_repository": '"someone-else/http-echo"'}})
    code, errors = bootstrap(clone)
    assert code == 1
    assert errors == [
        "bootstrap: error: infra/envs/prod-access/terraform.tfvars: github_repository is 'someone-else/http-echo', "
        "the shared root's is 'http-echo-maintainers/http-echo': both must name the repository that deploys",
        "bootstrap: error: infra/envs/dev-access/terraform.tfvars: tooling_account_id is null, but "
        "environment_account_ids (envs/shared) puts dev in account 444455556666: set it to the account the shared "
        "root goes to",
        "bootstrap: error: infra/envs/dev-access/terraform.tfvars: create_github_oidc_provider must be true: dev's "
        "account 444455556666 needs its own GitHub OIDC provider",
        "bootstrap: error: infra/envs/shared/terraform.tfvars: environment_account_ids.prod is 333333333333, an "
        "example: put prod's account ID, or null for the one-account layout",
    ]


def test_the_scripts_name_sections_the_readme_has():
    """What bootstrap.sh and teardown.sh print to point a user at infra/README.md names a
    heading that is there."""
    headings = {line.lstrip("#").strip() for line in (INFRA / "README.md").read_text().splitlines()
                if line.startswith("#")}
    named = [(script.name, section) for script in (INFRA / "bootstrap.sh", INFRA / "teardown.sh")
             for section in re.findall(r'infra/README\.md, "([^"]+)"', script.read_text())]
    assert named, "the scripts name no section of infra/README.md any more: drop this test"
    assert [(script, section) for script, section in named if section not in headings] == []

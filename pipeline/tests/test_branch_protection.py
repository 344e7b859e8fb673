"""The branch protection the set-up checklist applies requires every check ci.yml makes.

infra/README.md's checklist protects main and dev with `gh api .../protection` and a
list of required status checks. GitHub names a job's check by the job's `name`, once
per matrix entry with the matrix values filled in (`suite fuzz`, `lock files
(macos-14)`); a check left out of the list lets a pull request merge while that job
fails, and a name in the list that no job makes blocks every pull request. So the
list must be exactly the names ci.yml's jobs give, in every document that shows it.
"""

import copy
import json
import re

from conftest import REPO_ROOT

DOCUMENTS = ["README.md", "infra/README.md", "pipeline/README.md"]
# The list in a branch-protection body: "contexts": ["...", ...]
CONTEXTS = re.compile(r'"contexts":\s*(\[[^\]]*\])')
MATRIX_VALUE = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")


def check_names(ci: dict) -> set[str]:
    """The name of every check ci.yml's jobs make, as GitHub shows it on a pull request."""
    names = set()
    for job_id, job in ci["jobs"].items():
        name = job.get("name", job_id)
        keys = MATRIX_VALUE.findall(name)
        if not keys:
            names.add(name)
            continue
        assert len(keys) == 1, f"{job_id}: a name with more than one matrix value is not handled here: {name}"
        matrix = job["strategy"]["matrix"]
        values = list(matrix.get(keys[0], []))
        values += [entry[keys[0]] for entry in matrix.get("include", []) if entry.get(keys[0]) not in values]
        assert values, f"{job_id}: its name uses matrix.{keys[0]}, which the matrix does not list"
        names |= {MATRIX_VALUE.sub(str(value), name) for value in values}
    return names


def documented_lists() -> dict[str, list[str]]:
    """Each branch-protection list of required checks in the docs, by where it is."""
    lists = {}
    for document in DOCUMENTS:
        text = (REPO_ROOT / document).read_text(encoding="utf-8")
        for number, match in enumerate(CONTEXTS.finditer(text), start=1):
            lists[f"{document} (list {number})"] = json.loads(match[1])
    return lists


def problems(documented: dict[str, list[str]], ci: dict) -> list[str]:
    expected = check_names(ci)
    found = []
    for where, contexts in documented.items():
        if missing := expected - set(contexts):
            found.append(f"{where}: required checks leave out {sorted(missing)}")
        if unknown := set(contexts) - expected:
            found.append(f"{where}: required checks no job of ci.yml makes: {sorted(unknown)}")
        if len(contexts) != len(set(contexts)):
            found.append(f"{where}: a required check is named twice")
    return found


def test_the_checklist_shows_a_branch_protection():
    assert "infra/README.md (list 1)" in documented_lists()


def test_every_documented_list_is_exactly_ci_checks(ci):
    assert problems(documented_lists(), ci) == []


def test_the_names_include_each_matrix_entry(ci):
    names = check_names(ci)
    assert {f"suite {suite}" for suite in ci["jobs"]["suite"]["strategy"]["matrix"]["suite"]} <= names
    assert {f"lock files ({runner})" for runner in ci["jobs"]["lock-files"]["strategy"]["matrix"]["runner"]} <= names


# Each mistake, made on purpose ########################################################


def test_a_new_matrix_entry_left_out_is_caught(ci):
    changed = copy.deepcopy(ci)
    changed["jobs"]["suite"]["strategy"]["matrix"]["suite"].append("new")
    assert any("leave out ['suite new']" in p for p in problems(documented_lists(), changed))


def test_a_new_job_left_out_is_caught(ci):
    changed = copy.deepcopy(ci)
    changed["jobs"]["extra"] = {"name": "extra check", "runs-on": "ubuntu-24.04", "steps": []}
    assert any("leave out ['extra check']" in p for p in problems(documented_lists(), changed))


def test_a_check_no_job_makes_is_caught(ci):
    documented = {"doc": sorted(check_names(ci)) + ["suite gone"]}
    assert any("no job of ci.yml makes: ['suite gone']" in p for p in problems(documented, ci))


def test_a_job_without_a_name_is_named_by_its_id(ci):
    changed = copy.deepcopy(ci)
    changed["jobs"]["unnamed"] = {"runs-on": "ubuntu-24.04", "steps": []}
    assert "unnamed" in check_names(changed)

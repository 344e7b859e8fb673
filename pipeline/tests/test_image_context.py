"""The Dockerfile's Rust stage gets everything cargo needs from the build context.

`docker build .` (the default target, which ci.yml's image vulnerability scan builds,
and the way to build for linux/amd64 from another machine) compiles in the `compile`
stage from the files its COPY lines take, out of a context that .dockerignore
narrows to a few paths. cargo loads every member of the workspace, even to build one
package, so a member those two leave out fails the build before anything compiles.
No registry is reachable here, so the stage itself cannot run: its files are put
together as the stage would have them and cargo loads the workspace from them.
"""

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT

STAGE = "compile"


def compile_stage_copies(dockerfile: str) -> tuple[str, list[tuple[list[str], str]]]:
    """The stage's WORKDIR and its COPY lines from the context: (sources, destination)."""
    stage, workdir, copies = None, "/", []
    for line in dockerfile.replace("\\\n", " ").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction = line.split()[0].upper()
        if instruction not in ("FROM", "WORKDIR", "COPY"):
            continue
        words = shlex.split(line)
        if instruction == "FROM":
            stage = words[-1] if len(words) >= 4 and words[-2].upper() == "AS" else None
        elif stage == STAGE and instruction == "WORKDIR":
            workdir = words[1]
        elif stage == STAGE and instruction == "COPY" and not any(w.startswith("--from") for w in words):
            arguments = [w for w in words[1:] if not w.startswith("--")]
            copies.append((arguments[:-1], arguments[-1]))
    return workdir, copies


def admitted(path: str, dockerignore: str) -> bool:
    """Whether .dockerignore lets the path into the context. It excludes everything
    (`*`) and names what comes back (`!path`); that is the form this checks."""
    patterns = [line.strip() for line in dockerignore.splitlines() if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*" and all(p.startswith("!") for p in patterns[1:]), \
        f".dockerignore is no longer `*` and exceptions: {patterns}"
    return any(path == p[1:] or path.startswith(p[1:] + "/") for p in patterns[1:])


def stage_files(tmp_path: Path, workdir: str, copies: list[tuple[list[str], str]], dockerignore: str) -> Path:
    root = tmp_path / "stage"
    for sources, destination in copies:
        target = root / (destination if destination.startswith("/") else f"{workdir}/{destination}").lstrip("/")
        for source in sources:
            assert admitted(source, dockerignore), f"the {STAGE} stage copies {source}, which .dockerignore leaves out"
            origin = REPO_ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True)
            else:
                into = target / origin.name if destination.endswith("/") else target
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, into)
    return root / workdir.lstrip("/")


def workspace_members(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["cargo", "metadata", "--no-deps", "--offline", "--format-version", "1"],
                          cwd=directory, capture_output=True, text=True, timeout=120)


def member_names(metadata: str) -> set[str]:
    document = json.loads(metadata)
    members = set(document["workspace_members"])
    return {package["name"] for package in document["packages"] if package["id"] in members}


@pytest.fixture(scope="module")
def repository_members() -> set[str]:
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    loaded = workspace_members(REPO_ROOT)
    assert loaded.returncode == 0, loaded.stderr
    return member_names(loaded.stdout)


def test_the_compile_stage_has_the_whole_workspace(tmp_path, repository_members):
    workdir, copies = compile_stage_copies((REPO_ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert copies, f"the Dockerfile has no {STAGE} stage with COPY lines"
    source = stage_files(tmp_path, workdir, copies, (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8"))
    loaded = workspace_members(source)
    assert loaded.returncode == 0, f"cargo cannot load the workspace from the {STAGE} stage's files:\n{loaded.stderr}"
    assert member_names(loaded.stdout) == repository_members


def test_a_member_left_out_is_caught(tmp_path, repository_members):
    workdir, copies = compile_stage_copies((REPO_ROOT / "Dockerfile").read_text(encoding="utf-8"))
    without_bench = [(sources, destination) for sources, destination in copies
                     if not any(s.startswith("bench/") for s in sources)]
    assert without_bench != copies, "the compile stage copies no bench/: update this test"
    source = stage_files(tmp_path, workdir, without_bench, (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8"))
    loaded = workspace_members(source)
    assert loaded.returncode != 0 and "workspace member" in loaded.stderr, loaded.stderr


def test_a_path_dockerignore_leaves_out_is_caught():
    assert not admitted("bench/results", "*\n!src\n!bench/src\n")
    assert admitted("bench/src", "*\n!src\n!bench/src\n")
    assert not admitted("srcx", "*\n!src\n")

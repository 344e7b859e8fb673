"""release.yml: a v* tag publishes the tested commit as a signed two-platform image on
GHCR and as static binaries on a GitHub Release, each job holding only the permissions
its steps use, built through the same Dockerfile stage the container suite builds here;
and zizmor finds nothing in it.

The rules every workflow keeps (pinned actions, checkout without credentials, no
expressions in scripts, timeouts) are test_workflows.py's. The rules here are the
release's own; each is also run on a copy of the workflow broken in that way, so that
it is seen to catch what it is for. Nothing here runs the workflow: GitHub's runners,
GHCR and Sigstore cannot be reached from a test.
"""

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import workflow_rules as rules
from conftest import REPO_ROOT, WORKFLOWS, load_workflow

RELEASE = WORKFLOWS / rules.RELEASE_WORKFLOW
# The tests, at the exact commit being released, called as deploy.yml calls them.
SELF_CI = rules.CI_WORKFLOW
METADATA_ACTION = "docker/metadata-action"
DOWNLOAD_ACTION = "actions/download-artifact"
UPLOAD_ACTION = "actions/upload-artifact"
# Where the workflow's own code could be swapped by someone who can fill a cache.
CACHE_ACTIONS = {"actions/cache", "Swatinem/rust-cache"}
PLATFORMS = {"amd64": "x86_64", "arm64": "aarch64"}
BINARY_ASSETS = {f"release/http-echo-{arch}-linux" for arch in PLATFORMS.values()}


@pytest.fixture
def release() -> dict:
    return load_workflow(RELEASE)


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in rules.steps(job) if rules.action(step) == action]


def pushes_image(job: dict) -> bool:
    return any((step.get("with") or {}).get("push") for step in steps_using(job, rules.BUILD_PUSH_ACTION))


def upstream(jobs: dict, job_id: str) -> set[str]:
    """Every job that job_id waits for, directly or not."""
    seen, todo = set(), list(rules.needs(jobs[job_id]))
    while todo:
        needed = todo.pop()
        if needed not in seen and needed in jobs:
            seen.add(needed)
            todo += rules.needs(jobs[needed])
    return seen


# The release's rules ##################################################################


def triggers(release: dict) -> list[str]:
    on = release.get("on") or {}
    if on != {"push": {"tags": ["v*"]}}:
        return [f"release.yml must run on pushed v* tags only, runs on {on!r}"]
    return []


def ci_first(release: dict) -> list[str]:
    """Nothing is built or published before the CI workflow passed on the tagged commit."""
    jobs = rules.jobs(release)
    ci = [job_id for job_id, job in jobs.items() if job.get("uses") == SELF_CI]
    if len(ci) != 1:
        return [f"release.yml must call {SELF_CI} exactly once, calls it {len(ci)} times"]
    return [f"{job_id} does not wait for {ci[0]}" for job_id in jobs
            if job_id != ci[0] and ci[0] not in upstream(jobs, job_id)]


def least_permissions(release: dict) -> list[str]:
    """A job may write only what its steps need: packages to push the image, id-token to
    sign it keylessly, contents to create the Release."""
    problems = []
    for job_id, job in rules.jobs(release).items():
        permissions = job.get("permissions")
        if not isinstance(permissions, dict):
            problems.append(f"{job_id}: no explicit permissions")
            continue
        writes = {scope for scope, level in permissions.items() if level == "write"}
        script = rules.runs(job)
        needed = set()
        if pushes_image(job):
            needed.add("packages")
        if "cosign sign " in script:
            needed.add("id-token")
        if "gh release create " in script:
            needed.add("contents")
        if writes != needed:
            problems.append(f"{job_id}: writes {sorted(writes)}, its steps need {sorted(needed)}")
        unknown = {level for level in permissions.values()} - {"read", "write", "none"}
        if unknown:
            problems.append(f"{job_id}: permission levels {sorted(unknown)}")
    return problems


def image(release: dict) -> list[str]:
    """One push: both platforms of the prebuilt stage, the semver tags of the metadata
    step, an SBOM and a provenance attestation; then a keyless signature of its digest."""
    problems = []
    pushers = [(job_id, job) for job_id, job in rules.jobs(release).items() if pushes_image(job)]
    if len(pushers) != 1:
        return [f"expected exactly one job pushing the image, found {[job_id for job_id, _ in pushers]}"]
    job_id, job = pushers[0]
    job_steps = rules.steps(job)
    push_index, push = next((i, s) for i, s in enumerate(job_steps)
                            if rules.action(s) == rules.BUILD_PUSH_ACTION and (s.get("with") or {}).get("push"))
    settings = push.get("with") or {}
    want = {"platforms": "linux/amd64,linux/arm64", "target": "prebuilt", "sbom": True, "provenance": "mode=max",
            "tags": "${{ steps.meta.outputs.tags }}"}
    for key, value in want.items():
        if settings.get(key) != value:
            problems.append(f"{job_id}: build-push {key} is {settings.get(key)!r}, not {value!r}")
    meta = next((s for s in job_steps if rules.action(s) == METADATA_ACTION and s.get("id") == "meta"), None)
    if meta is None:
        problems.append(f"{job_id}: no docker/metadata-action step with id meta")
    else:
        meta_settings = meta.get("with") or {}
        if meta_settings.get("images") != "ghcr.io/${{ github.repository_owner }}/http-echo":
            problems.append(f"{job_id}: image name is {meta_settings.get('images')!r}")
        tags = set((meta_settings.get("tags") or "").split())
        for pattern in ("type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}",
                        "type=semver,pattern={{major}}"):
            if pattern not in tags:
                problems.append(f"{job_id}: no {pattern} tag")
        if not any(tag.startswith("type=raw,value=latest") for tag in tags):
            problems.append(f"{job_id}: no latest tag")
    signs = [s for s in job_steps[push_index + 1:] if "cosign sign " in s.get("run", "")]
    if not signs:
        problems.append(f"{job_id}: the pushed image is not signed (cosign sign) after the push")
    elif (signs[0].get("env") or {}).get("DIGEST") != "${{ steps.push.outputs.digest }}" or push.get("id") != "push":
        problems.append(f"{job_id}: the signature is not of the pushed digest (steps.push.outputs.digest)")
    return problems


def binaries(release: dict) -> list[str]:
    """Each architecture built natively by scripts/build-static.sh, run by
    scripts/smoke-binary.sh, and handed on under Docker's name for its platform."""
    problems = []
    builders = [(job_id, job) for job_id, job in rules.jobs(release).items()
                if "scripts/build-static.sh" in rules.runs(job)]
    if len(builders) != 1:
        return [f"expected one job running scripts/build-static.sh, found {[job_id for job_id, _ in builders]}"]
    job_id, job = builders[0]
    include = (((job.get("strategy") or {}).get("matrix") or {}).get("include")) or []
    found = {entry.get("platform"): entry for entry in include}
    if {platform: entry.get("arch") for platform, entry in found.items()} != PLATFORMS:
        problems.append(f"{job_id}: matrix {include} does not build {PLATFORMS}")
    if not (found.get("arm64") or {}).get("runner", "").endswith("-arm"):
        problems.append(f"{job_id}: arm64 is not built on an arm64 runner")
    if job.get("runs-on") != "${{ matrix.runner }}":
        problems.append(f"{job_id}: runs on {job.get('runs-on')!r}, not each platform's own runner")
    script = rules.runs(job)
    if "scripts/smoke-binary.sh" not in script:
        problems.append(f"{job_id}: the binary is never run before it is published")
    uploads = steps_using(job, UPLOAD_ACTION)
    if [(s.get("with") or {}).get("name") for s in uploads] != ["${{ matrix.platform }}"]:
        problems.append(f"{job_id}: artifacts are not named by platform")
    return problems


def release_assets(release: dict) -> list[str]:
    """The Release carries both binaries, named by architecture, and their SHA256SUMS."""
    publishers = [(job_id, job) for job_id, job in rules.jobs(release).items()
                  if "gh release create " in rules.runs(job)]
    if len(publishers) != 1:
        return [f"expected one job creating the Release, found {[job_id for job_id, _ in publishers]}"]
    job_id, job = publishers[0]
    script = rules.runs(job)
    problems = [f"{job_id}: does not attach {asset}" for asset in sorted(BINARY_ASSETS | {"release/SHA256SUMS"})
                if asset not in script.split("gh release create", 1)[1]]
    if not re.search(r"sha256sum http-echo-\* *>SHA256SUMS", script):
        problems.append(f"{job_id}: SHA256SUMS is not the sha256sum of the binaries")
    if "--verify-tag" not in script:
        problems.append(f"{job_id}: gh release create may create a tag instead of using the pushed one")
    return problems


def no_caches(release: dict) -> list[str]:
    """A release restores no cache: a cache written by any branch could change what ships."""
    problems = []
    for job_id, job in rules.jobs(release).items():
        for step in rules.steps(job):
            settings = step.get("with") or {}
            if rules.action(step) in CACHE_ACTIONS or "cache-from" in settings or "cache-to" in settings \
                    or settings.get("cache"):
                problems.append(f"{job_id}/{step.get('name', rules.action(step))}: uses a cache")
    return problems


def same_image_path(release: dict) -> list[str]:
    """The release builds the Dockerfile stage stack/build-image.sh builds here (the one
    the container suite tests), from binaries where that stage reads them."""
    problems = []
    build_image = (REPO_ROOT / "stack" / "build-image.sh").read_text(encoding="utf-8")
    local = re.search(r"--target (\w+)", build_image)
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    stage = re.search(rf"^FROM \S+ AS {local.group(1) if local else '-'}\n(.*?)(?=^FROM |\Z)", dockerfile,
                      re.MULTILINE | re.DOTALL)
    if not local or not stage:
        return ["stack/build-image.sh builds no --target stage of the Dockerfile"]
    if not re.search(r"^COPY dist/\$\{TARGETARCH\}/http-echo /http-echo$", stage.group(1), re.MULTILINE):
        problems.append(f"the Dockerfile's {local.group(1)} stage does not copy dist/${{TARGETARCH}}/http-echo")
    for job_id, job in rules.jobs(release).items():
        if not pushes_image(job):
            continue
        push = next(s for s in steps_using(job, rules.BUILD_PUSH_ACTION) if (s.get("with") or {}).get("push"))
        if (push.get("with") or {}).get("target") != local.group(1):
            problems.append(f"{job_id}: builds target {(push.get('with') or {}).get('target')!r}, "
                            f"stack/build-image.sh builds {local.group(1)!r}")
        downloads = {((s.get("with") or {}).get("name"), (s.get("with") or {}).get("path"))
                     for s in steps_using(job, DOWNLOAD_ACTION)}
        want = {(platform, f"dist/{platform}") for platform in PLATFORMS}
        if downloads != want:
            problems.append(f"{job_id}: downloads {sorted(downloads)}, not each platform into dist/<platform>")
    return problems


RULES = {rule.__name__: rule for rule in
         (triggers, ci_first, least_permissions, image, binaries, release_assets, no_caches, same_image_path)}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_release_rule_holds(release, rule):
    problems = RULES[rule](release)
    assert problems == [], "\n".join(problems)


# Each rule, broken on purpose ########################################################


def broken(release: dict, change) -> dict:
    copied = copy.deepcopy(release)
    change(copied)
    return copied


def job(release: dict, job_id: str) -> dict:
    return release["jobs"][job_id]


def step_using(job_: dict, action: str) -> dict:
    return steps_using(job_, action)[0]


def test_a_branch_trigger_is_caught(release):
    assert triggers(broken(release, lambda r: r["on"]["push"].update(branches=["main"])))


def test_publishing_untested_code_is_caught(release):
    untested = broken(release, lambda r: job(r, "binaries").update(needs=[]))
    assert any("does not wait for ci" in p for p in ci_first(untested))
    assert ci_first(broken(release, lambda r: job(r, "ci").update(uses="./.github/workflows/other.yml")))


def test_a_write_no_step_needs_is_caught(release):
    assert least_permissions(broken(release, lambda r: job(r, "image")["permissions"].update(contents="write")))
    assert least_permissions(broken(release, lambda r: job(r, "binaries")["permissions"].update(packages="write")))


def test_a_missing_write_is_caught(release):
    assert least_permissions(broken(release, lambda r: job(r, "image")["permissions"].pop("id-token")))


def test_a_single_platform_image_is_caught(release):
    def change(r):
        step_using(job(r, "image"), rules.BUILD_PUSH_ACTION)["with"]["platforms"] = "linux/amd64"
    assert image(broken(release, change))


def test_an_image_without_attestations_is_caught(release):
    def change(r):
        settings = step_using(job(r, "image"), rules.BUILD_PUSH_ACTION)["with"]
        del settings["sbom"]
        settings["provenance"] = False
    assert len(image(broken(release, change))) == 2


def test_a_missing_version_tag_is_caught(release):
    def change(r):
        meta = step_using(job(r, "image"), METADATA_ACTION)["with"]
        meta["tags"] = meta["tags"].replace("type=semver,pattern={{major}}\n", "")
    assert any("{{major}} tag" in p for p in image(broken(release, change)))


def test_an_unsigned_image_is_caught(release):
    def change(r):
        job(r, "image")["steps"] = [s for s in job(r, "image")["steps"] if "cosign sign " not in s.get("run", "")]
    assert any("not signed" in p for p in image(broken(release, change)))


def test_a_binary_published_without_running_is_caught(release):
    def change(r):
        job(r, "binaries")["steps"] = [s for s in job(r, "binaries")["steps"]
                                       if "smoke-binary" not in s.get("run", "")]
    assert binaries(broken(release, change))


def test_a_missing_architecture_is_caught(release):
    def change(r):
        job(r, "binaries")["strategy"]["matrix"]["include"].pop()
    assert binaries(broken(release, change))


def test_a_release_without_checksums_is_caught(release):
    def change(r):
        for s in job(r, "release")["steps"]:
            if "run" in s:
                s["run"] = s["run"].replace(" release/SHA256SUMS", "")
    assert any("SHA256SUMS" in p for p in release_assets(broken(release, change)))


def test_a_cache_is_caught(release):
    def change(r):
        step_using(job(r, "image"), rules.BUILD_PUSH_ACTION)["with"]["cache-from"] = "type=gha"
    assert no_caches(broken(release, change))


def test_another_build_path_is_caught(release):
    def change(r):
        step_using(job(r, "image"), rules.BUILD_PUSH_ACTION)["with"]["target"] = "release"
    problems = same_image_path(broken(release, change))
    assert any("stack/build-image.sh builds 'prebuilt'" in p for p in problems)


# zizmor ###############################################################################

ZIZMOR = Path(sys.executable).parent / "zizmor"


def zizmor(path: Path) -> subprocess.CompletedProcess:
    assert ZIZMOR.exists(), "zizmor is missing: install pipeline/tests/requirements.txt"
    # --offline: the audits that ask GitHub's API (known-vulnerable actions, impostor
    # commits) cannot run here; every other audit does.
    return subprocess.run([str(ZIZMOR), "--offline", "--no-progress", "--format", "plain", str(path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_zizmor_finds_nothing():
    result = zizmor(RELEASE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout, result.stdout


def test_zizmor_catches_a_broken_release(tmp_path):
    text = RELEASE.read_text(encoding="utf-8")
    # An expression pasted into a script, and a checkout that keeps its token.
    text = text.replace('gh release create "$GITHUB_REF_NAME"', 'gh release create "${{ github.ref_name }}"')
    text = text.replace("        with:\n          persist-credentials: false\n", "", 1)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    broken_release = tmp_path / ".github" / "workflows" / "release.yml"
    broken_release.write_text(text, encoding="utf-8")
    result = zizmor(broken_release)
    assert result.returncode != 0
    assert "template-injection" in result.stdout and "artipacked" in result.stdout, result.stdout

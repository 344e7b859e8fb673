"""The rules our GitHub workflows must keep, as functions that list what breaks them.

Each rule takes parsed workflows (and, for pinning, the raw text) and returns a list of
problems, empty when the rule holds. test_workflows.py applies them to the real files,
and also to broken copies, so that every rule is seen to catch what it is for.
"""

import json
import re
from pathlib import PurePosixPath

AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
BUILD_PUSH_ACTION = "docker/build-push-action"
TRIVY_ACTION = "aquasecurity/trivy-action"
CHECKOUT_ACTION = "actions/checkout"
UPLOAD_ACTION = "actions/upload-artifact"
DOWNLOAD_ACTION = "actions/download-artifact"
# deploy.py's settings for emulators (moto), which a real deploy must never use.
EMULATOR_ONLY = ("--watch-url", "--skip-smoke-test", "DEPLOY_SKIP_SMOKE_TEST")
CI_WORKFLOW = "./.github/workflows/ci.yml"
# Publishes to GitHub itself (packages, a Release, signatures): its jobs' permissions are
# checked one by one in test_release_workflow.py, not by job_permissions below.
RELEASE_WORKFLOW = "release.yml"

# owner/repo[/path]@<full commit SHA> # <version>: a tag can be moved to other code (as
# happened to trivy-action's tags in 2026), a commit cannot; the comment says which
# release that commit is, for the reader and for Dependabot.
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w.-]+(?:/[\w./-]+)?)@([0-9a-f]{40})\s+#\s+v?\d[\w.-]*\s*$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s+(\S+)")
# A role comes from a variable of the job's GitHub environment, never from the file.
ROLE_VARIABLE = re.compile(r"\$\{\{ vars\.[A-Z_]*ROLE_ARN \}\}")


def jobs(workflow: dict) -> dict[str, dict]:
    return workflow.get("jobs") or {}


def steps(job: dict) -> list[dict]:
    return job.get("steps") or []


def action(step: dict) -> str:
    """owner/repo of a step's action, without the ref; '' for run steps."""
    return step.get("uses", "").split("@", 1)[0]


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def environment_name(job: dict) -> str | None:
    environment = job.get("environment")
    if isinstance(environment, dict):
        return environment.get("name")
    return environment


def needs(job: dict) -> list[str]:
    value = job.get("needs") or []
    return [value] if isinstance(value, str) else list(value)


def assumes_aws_role(job: dict) -> bool:
    return any(action(step) == AWS_CREDENTIALS_ACTION for step in steps(job))


def deploys_to(job: dict) -> str | None:
    """The environment a job passes to pipeline/deploy.py, if it runs it."""
    match = re.search(r"pipeline/deploy\.py\b[^\n]*?--environment[ =](\w+)", runs(job).replace("\\\n", " "))
    return match.group(1) if match else None


def rehearses(job: dict) -> bool:
    """Whether a job runs pipeline/deploy.py as a rehearsal of a rollback."""
    return bool(re.search(r"pipeline/deploy\.py\b[^\n]*--rehearse-rollback\b", runs(job).replace("\\\n", " ")))


def on_push(ref: str) -> str:
    """The `if:` of a job that runs only on a push to `ref`."""
    return f"github.event_name == 'push' && github.ref == 'refs/heads/{ref}'"


# The `if:` of the rehearsal job: run by hand, on dev only.
REHEARSAL_IF = "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/dev'"


# Rules ###############################################################################


def pinned_actions(texts: dict[str, str]) -> list[str]:
    """Every `uses:` names a local workflow/action or a full commit SHA plus its version."""
    problems = []
    for name, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            used = USES_LINE.match(line)
            # ./ and $/ (GitHub's self-repository form) are this repository's own files.
            if not used or used.group(1).startswith(("./", "$/")):
                continue
            if not PINNED_USES.match(line):
                problems.append(f"{name}:{number}: not pinned to a commit SHA with a '# vX.Y.Z' comment: {line.strip()}")
    return problems


def top_level_permissions(workflows: dict[str, dict]) -> list[str]:
    """Every workflow starts from contents: read and nothing more."""
    return [f"{name}: top-level permissions are {workflow.get('permissions')!r}, not {{'contents': 'read'}}"
            for name, workflow in workflows.items() if workflow.get("permissions") != {"contents": "read"}]


def job_permissions(workflows: dict[str, dict]) -> list[str]:
    """Each job says its permissions; id-token: write exactly on the jobs that assume an AWS
    role; no job may write anything else."""
    problems = []
    for name, workflow in workflows.items():
        for job_id, job in jobs(workflow).items():
            permissions = job.get("permissions")
            if not isinstance(permissions, dict):
                problems.append(f"{name}/{job_id}: no explicit permissions")
                continue
            oidc = permissions.get("id-token") == "write"
            if assumes_aws_role(job) and not oidc:
                problems.append(f"{name}/{job_id}: assumes an AWS role without id-token: write")
            if oidc and not assumes_aws_role(job):
                problems.append(f"{name}/{job_id}: id-token: write but assumes no AWS role")
            for scope, level in permissions.items():
                if level == "write" and scope != "id-token":
                    problems.append(f"{name}/{job_id}: {scope}: write")
    return problems


def oidc_only(workflows: dict[str, dict], texts: dict[str, str]) -> list[str]:
    """AWS access through OIDC and an environment's role: no access keys anywhere."""
    problems = []
    for name, text in texts.items():
        for forbidden in ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            if forbidden in text:
                problems.append(f"{name}: mentions {forbidden}")
    for name, workflow in workflows.items():
        for job_id, job in jobs(workflow).items():
            for step in steps(job):
                if action(step) != AWS_CREDENTIALS_ACTION:
                    continue
                role = (step.get("with") or {}).get("role-to-assume", "")
                if not ROLE_VARIABLE.fullmatch(role):
                    problems.append(f"{name}/{job_id}: role-to-assume is {role!r}, not an environment's variable")
                if not environment_name(job):
                    problems.append(f"{name}/{job_id}: assumes a role outside a GitHub environment")
    return problems


def triggers(ci: dict, deploy: dict) -> list[str]:
    problems = []
    on = deploy.get("on") or {}
    if set(on) != {"push", "workflow_dispatch"} or sorted((on.get("push") or {}).get("branches") or []) != ["dev", "main"]:
        problems.append(f"deploy.yml must run on pushes to dev and main and by hand (the rehearsal) only, runs on {on!r}")
    if (on.get("workflow_dispatch") or {}).get("inputs"):
        problems.append("deploy.yml's workflow_dispatch takes inputs: the rehearsal must not be steerable by its caller")
    ci_on = ci.get("on") or {}
    for event in ("pull_request", "push", "workflow_call"):
        if event not in ci_on:
            problems.append(f"ci.yml does not run on {event}")
    ignored = sorted(((ci_on.get("push") or {}).get("branches-ignore")) or [])
    if ignored != ["dev", "main"]:
        problems.append(f"ci.yml push must skip exactly dev and main (deploy.yml runs it there), skips {ignored}")
    if "pull_request_target" in ci_on or "pull_request_target" in on:
        problems.append("pull_request_target runs untrusted code with secrets")
    return problems


def production_gate(deploy: dict) -> list[str]:
    """Prod is planned before the gate and deployed after it, only from main: the plan
    job in production-plan saves a plan, the deploy job in production (where the
    reviewers approve) needs it and applies exactly that plan; both check the gate's
    settings first. dev is deployed only from dev, in dev."""
    problems = []
    targets = {job_id: deploys_to(job) for job_id, job in jobs(deploy).items()
               if deploys_to(job) and not rehearses(job)}
    prod_jobs = sorted(job_id for job_id, target in targets.items() if target == "prod")
    if sorted(targets.values()) != ["dev", "prod", "prod"]:
        problems.append(f"expected one dev deploy and a plan and a deploy job for prod, found {targets}")
    for job_id, target in targets.items():
        job = jobs(deploy)[job_id]
        text = runs(job).replace("\\\n", " ")
        if target == "dev":
            want_environment, want_ref = "dev", "dev"
        elif "--save-plan" in text:
            want_environment, want_ref = "production-plan", "main"
        else:
            want_environment, want_ref = "production", "main"
        if environment_name(job) != want_environment:
            problems.append(f"{job_id} deploys {target} in environment {environment_name(job)!r}, not {want_environment!r}")
        if job.get("if") != on_push(want_ref):
            problems.append(f"{job_id} deploys {target} on {job.get('if')!r}, not only on a push to refs/heads/{want_ref}")
        if target == "prod" and "pipeline/production_gate.py" not in text:
            problems.append(f"{job_id} does not check the production gate's settings first")
    planners = [job_id for job_id in prod_jobs if "--save-plan" in runs(jobs(deploy)[job_id])]
    appliers = [job_id for job_id in prod_jobs if "--apply-plan" in runs(jobs(deploy)[job_id])]
    if len(planners) != 1 or len(appliers) != 1:
        problems.append(f"prod needs one job that saves a plan and one that applies it, found {planners} and {appliers}")
    elif planners[0] not in needs(jobs(deploy)[appliers[0]]):
        problems.append(f"{appliers[0]} applies a plan without needing {planners[0]}, which makes it")
    for job_id in set(prod_jobs) - set(planners) - set(appliers):
        problems.append(f"{job_id} deploys prod without a reviewed plan")
    return problems


def rehearsal(deploy: dict) -> list[str]:
    """One job rehearses a rollback: deploy.py --rehearse-rollback, to dev, in the
    environment dev, only when the workflow is run by hand on dev; it marks no image as
    verified (what it deploys fails on purpose)."""
    rehearsing = [job_id for job_id, job in jobs(deploy).items() if rehearses(job)]
    if len(rehearsing) != 1:
        return [f"expected one job that rehearses a rollback (deploy.py --rehearse-rollback), found {rehearsing}"]
    job_id = rehearsing[0]
    job = jobs(deploy)[job_id]
    problems = []
    if deploys_to(job) != "dev" or environment_name(job) != "dev":
        problems.append(f"{job_id} rehearses in {deploys_to(job)!r} (environment {environment_name(job)!r}), not dev")
    if job.get("if") != REHEARSAL_IF:
        problems.append(f"{job_id} rehearses on {job.get('if')!r}, not only when run by hand on dev ({REHEARSAL_IF})")
    if "ecr_image.py promote" in runs(job):
        problems.append(f"{job_id} marks an image after a rehearsal, which deploys a release that fails on purpose")
    return problems


def hashed_pip_installs(workflows: dict[str, dict]) -> list[str]:
    """A workflow installs Python packages only from a file of pins with hashes."""
    problems = []
    for name, workflow in workflows.items():
        for job_id, job in jobs(workflow).items():
            for step in steps(job):
                for line in step.get("run", "").splitlines():
                    if re.search(r"\bpip3? install\b", line) and not re.search(r"--require-hashes\b.*\s-r\s", line):
                        problems.append(f"{name}/{job_id}: pip install without --require-hashes -r FILE: {line.strip()}")
    return problems


def deploys_need_tests(deploy: dict) -> list[str]:
    """Every job that touches AWS waits for the CI workflow, which runs every suite."""
    problems = []
    ci_jobs = [job_id for job_id, job in jobs(deploy).items() if job.get("uses") == CI_WORKFLOW]
    if len(ci_jobs) != 1:
        return [f"deploy.yml must call {CI_WORKFLOW} exactly once, calls it {len(ci_jobs)} times"]
    for job_id, job in jobs(deploy).items():
        if (assumes_aws_role(job) or deploys_to(job)) and ci_jobs[0] not in needs(job):
            problems.append(f"{job_id} does not need {ci_jobs[0]}")
    return problems


def concurrency(deploy: dict) -> list[str]:
    """One queue per environment (every job that deploys to it waits in it), never
    cancelling a deploy half-way."""
    problems = []
    run_group = (deploy.get("concurrency") or {}).get("group")
    if (deploy.get("concurrency") or {}).get("cancel-in-progress") is not False:
        problems.append("deploy.yml: workflow concurrency must set cancel-in-progress: false")
    groups = {}
    for job_id, job in jobs(deploy).items():
        if not deploys_to(job):
            continue
        settings = job.get("concurrency") or {}
        group = settings.get("group", "")
        if settings.get("cancel-in-progress") is not False:
            problems.append(f"{job_id}: concurrency must set cancel-in-progress: false")
        if environment_name(job) not in group:
            problems.append(f"{job_id}: concurrency group {group!r} does not name environment {environment_name(job)!r}")
        if group == run_group:
            problems.append(f"{job_id}: job group equals the workflow's group: the job would wait for its own run")
        groups[job_id] = group
    environments = {job_id: environment_name(jobs(deploy)[job_id]) for job_id in groups}
    for first in groups:
        for second in groups:
            same_environment = environments[first] == environments[second]
            if first < second and (groups[first] == groups[second]) != same_environment:
                problems.append(f"{first} and {second} deploy to {'one environment' if same_environment else 'two'} "
                                f"in {'two queues' if same_environment else 'one queue'}: {groups}")
    return problems


def image_once(deploy: dict) -> list[str]:
    """Built and pushed by one job for both platforms, tagged with the commit SHA, scanned
    before the push; prod deploys what dev verified and never builds."""
    problems = []
    pushers = []
    for job_id, job in jobs(deploy).items():
        job_steps = steps(job)
        for index, step in enumerate(job_steps):
            settings = step.get("with") or {}
            if action(step) != BUILD_PUSH_ACTION or not settings.get("push"):
                continue
            pushers.append(job_id)
            if settings.get("platforms") != "linux/amd64,linux/arm64":
                problems.append(f"{job_id}: pushes for {settings.get('platforms')!r}, not linux/amd64,linux/arm64")
            if not str(settings.get("tags", "")).endswith(":${{ github.sha }}"):
                problems.append(f"{job_id}: pushes tags {settings.get('tags')!r}, not the commit SHA")
            scans = [s for s in job_steps[:index] if action(s) == TRIVY_ACTION]
            if len(scans) < 2:
                problems.append(f"{job_id}: {len(scans)} image scans before the push, want one per platform")
    if len(pushers) != 1:
        problems.append(f"expected exactly one job pushing the image, found {pushers}")
    for job_id, job in jobs(deploy).items():
        if deploys_to(job) == "prod":
            if any(action(step) == BUILD_PUSH_ACTION for step in steps(job)):
                problems.append(f"{job_id}: builds an image; prod must deploy the digest dev runs")
            text = runs(job)
            if "--save-plan" in text and 'running_image.py --cluster "$CLUSTER" --service "$SERVICE" --expect "$IMAGE"' not in text:
                problems.append(f"{job_id}: plans prod without checking that dev runs the digest to steady state")
            if "--save-plan" in text and '--tag "dev-verified-$commit"' not in text:
                problems.append(f"{job_id}: plans prod without checking that dev's deploy of the digest passed")
    # IAM cannot limit which tag a role writes, so only the build environment's push
    # role writes to the repository: the dev-verified mark comes from a job in that
    # environment, after the dev deploy passed.
    dev_deploys = [job_id for job_id, job in jobs(deploy).items()
                   if deploys_to(job) == "dev" and not rehearses(job)]
    markers = []
    for job_id, job in jobs(deploy).items():
        if "ecr_image.py promote" not in runs(job):
            continue
        if environment_name(job) != "build":
            problems.append(f"{job_id}: tags an image in environment {environment_name(job)!r}: only the build "
                            "environment's push role may write to the repository")
        elif 'promote --image "$IMAGE" --tag "dev-verified-$GITHUB_SHA"' in runs(job) and dev_deploys and \
                set(dev_deploys) <= set(needs(job)) and job.get("if") == "github.ref == 'refs/heads/dev'":
            markers.append(job_id)
    if not markers:
        problems.append("no job of the build environment marks the image dev-verified after the dev deploy passed")
    return problems


def deploys_watched(ci: dict, deploy: dict) -> list[str]:
    """Every job that changes an environment (deploy.py without --save-plan) passes
    --watcher a file it downloaded from the artifact that ci.yml's container suite
    uploads, which the ci call asks for; no deploy job uses an emulator-only setting."""
    problems = []
    uploaded = {}
    for step in steps(jobs(ci).get("suite") or {}):
        settings = step.get("with") or {}
        if action(step) == UPLOAD_ACTION and "matrix.suite == 'container'" in str(step.get("if", "")):
            uploaded[settings.get("name")] = PurePosixPath(str(settings.get("path"))).name
    calls = [job for job in jobs(deploy).values() if job.get("uses") == CI_WORKFLOW]
    if not any((job.get("with") or {}).get("upload-watcher") is True for job in calls):
        problems.append("deploy.yml's ci call does not ask for the watcher (with: upload-watcher: true)")
    for job_id, job in jobs(deploy).items():
        if not deploys_to(job):
            continue
        whole = json.dumps(job)
        problems += [f"{job_id}: uses {flag}, which is for emulators only" for flag in EMULATOR_ONLY if flag in whole]
        text = runs(job).replace("\\\n", " ")
        if "--save-plan" in text:
            continue
        watcher = re.search(r"pipeline/deploy\.py\b[^\n]*--watcher[ =](\S+)", text)
        if not watcher:
            problems.append(f"{job_id}: deploys without --watcher: its rollout is not watched")
            continue
        downloaded = {str(PurePosixPath((step.get("with") or {}).get("path") or ".") / uploaded[name])
                      for step in steps(job) if action(step) == DOWNLOAD_ACTION
                      and (name := (step.get("with") or {}).get("name")) in uploaded}
        if watcher.group(1) not in downloaded:
            problems.append(f"{job_id}: its watcher {watcher.group(1)} is not the binary ci.yml's container suite "
                            f"uploads (downloaded here: {sorted(downloaded) or 'none'})")
    return problems


def vulnerability_scans(workflows: dict[str, dict]) -> list[str]:
    """Every Trivy step fails the job on fixable HIGH and CRITICAL findings."""
    problems = []
    found = 0
    for name, workflow in workflows.items():
        for job_id, job in jobs(workflow).items():
            for step in steps(job):
                if action(step) != TRIVY_ACTION:
                    continue
                found += 1
                settings = step.get("with") or {}
                want = {"severity": "HIGH,CRITICAL", "ignore-unfixed": True, "exit-code": "1"}
                for key, value in want.items():
                    if settings.get(key) != value:
                        problems.append(f"{name}/{job_id}/{step.get('name')}: {key} is {settings.get(key)!r}, not {value!r}")
    if not found:
        problems.append("no Trivy scan at all")
    return problems


def ci_runs_every_suite(ci: dict, suites: set[str]) -> list[str]:
    """The CI matrix runs every scripts/check/<suite>.sh, by that script."""
    matrix = set((((jobs(ci).get("suite") or {}).get("strategy") or {}).get("matrix") or {}).get("suite") or [])
    problems = []
    if matrix != suites:
        problems.append(f"ci.yml suite matrix {sorted(matrix)} differs from scripts/check {sorted(suites)}")
    if 'bash "scripts/check/$SUITE.sh"' not in runs(jobs(ci).get("suite") or {}):
        problems.append("ci.yml suite job does not run scripts/check/$SUITE.sh")
    return problems


def checkout_without_credentials(workflows: dict[str, dict]) -> list[str]:
    """No job keeps the GitHub token in .git/config for later steps to find."""
    return [f"{name}/{job_id}: checkout keeps credentials"
            for name, workflow in workflows.items() for job_id, job in jobs(workflow).items()
            for step in steps(job)
            if action(step) == CHECKOUT_ACTION and (step.get("with") or {}).get("persist-credentials") is not False]


def no_expressions_in_scripts(workflows: dict[str, dict]) -> list[str]:
    """`run:` scripts read values from `env:`, never from `${{ }}` pasted into the shell
    text, where a branch name or a tag could inject commands."""
    return [f"{name}/{job_id}/{step.get('name', step['run'][:40])}: ${{{{ }}}} inside run:"
            for name, workflow in workflows.items() for job_id, job in jobs(workflow).items()
            for step in steps(job) if "${{" in step.get("run", "")]


def ci_called_one_way(workflows: dict[str, dict]) -> list[str]:
    """Every workflow that calls ci.yml calls it by the same local path, the form
    actionlint checks inputs against and the other rules match."""
    return [f"{name}/{job_id}: calls {job['uses']!r}, not {CI_WORKFLOW!r}"
            for name, workflow in workflows.items() for job_id, job in jobs(workflow).items()
            if str(job.get("uses", "")).endswith("/ci.yml") and job["uses"] != CI_WORKFLOW]


def job_timeouts(workflows: dict[str, dict]) -> list[str]:
    """A hung step ends at a known time instead of GitHub's six hours."""
    return [f"{name}/{job_id}: no timeout-minutes"
            for name, workflow in workflows.items() for job_id, job in jobs(workflow).items()
            if "uses" not in job and not job.get("timeout-minutes")]


def all_rules(workflows: dict[str, dict], texts: dict[str, str], suites: set[str]) -> dict[str, list[str]]:
    ci, deploy = workflows["ci.yml"], workflows["deploy.yml"]
    return {
        "pinned_actions": pinned_actions(texts),
        "top_level_permissions": top_level_permissions(workflows),
        "job_permissions": job_permissions({n: w for n, w in workflows.items() if n != RELEASE_WORKFLOW}),
        "oidc_only": oidc_only(workflows, texts),
        "triggers": triggers(ci, deploy),
        "production_gate": production_gate(deploy),
        "rehearsal": rehearsal(deploy),
        "deploys_need_tests": deploys_need_tests(deploy),
        "concurrency": concurrency(deploy),
        "image_once": image_once(deploy),
        "deploys_watched": deploys_watched(ci, deploy),
        "vulnerability_scans": vulnerability_scans(workflows),
        "ci_runs_every_suite": ci_runs_every_suite(ci, suites),
        "checkout_without_credentials": checkout_without_credentials(workflows),
        "no_expressions_in_scripts": no_expressions_in_scripts(workflows),
        "job_timeouts": job_timeouts(workflows),
        "hashed_pip_installs": hashed_pip_installs(workflows),
        "ci_called_one_way": ci_called_one_way(workflows),
    }

#!/usr/bin/env python3
"""Deploy one container image to one environment, and prove that it runs.

The GitHub deploy workflow calls this script, and it runs the same way anywhere else
with Terraform, boto3 and AWS credentials (or moto_server, in the tests):

    pipeline/deploy.py --environment dev --image REPOSITORY@sha256:DIGEST \\
        --backend-config bucket=STATE_BUCKET

Steps, each of which stops the deploy when it fails:
  1. check the inputs (environment, image reference, the watcher) before anything
     changes;
  2. terraform init, then start the rollout watcher, `http-echo -watch=URL`
     (rollout_watch.py), against the URL the environment answers at now (its
     service_url output); a first deploy, with no URL yet, has no rollout to watch and
     says so;
  3. terraform plan and apply infra/envs/<environment> with
     -var container_image=<image> (Terraform owns the task definition);
  4. read back the task definition Terraform registered: it must name that image;
  5. wait until the ECS service is stable on that task definition, failing as soon as
     the deployment circuit breaker stops or rolls back the deployment (rollout.py);
  6. stop the watcher (SIGTERM), write its summary to the log and the job summary
     (also when an earlier step failed), and fail if any request it sent failed;
  7. smoke-test the environment's URL (smoke_test.py). --skip-smoke-test skips it,
     loudly, for emulators whose load balancer has no address (moto);
  8. warn when nobody would hear of the environment's alarms (no confirmed
     subscription on its SNS topic).

Plan now, apply after a review (prod): --save-plan FILE stops after step 3's plan,
writes the saved plan to FILE and what it changes (terraform show) to the job
summary; later --apply-plan FILE applies exactly that plan, after checking it is
for this environment and image, and goes on with the other steps. Terraform refuses
a plan whose state has changed since it was made (a stale plan): plan again.

Rehearse a rollback (dev only): --rehearse-rollback deploys the image as a release
whose tasks answer a share of their requests with 503 on purpose (-var
fault_injection={error_rate=RATE}, the server's ECHO_ERROR_RATE; --rehearsal-error-rate,
0.5 by default). It passes only when ECS rolls that release back (the 5xx alarm, or
the circuit breaker) and dev ends steady on the task definition revision it ran
before; then it reports "rolled back as expected". A release that is not rolled back
fails it, and so does a watch that met other failures than the rehearsal's 503s, or
none of them. It needs a running service to roll back to, changes nothing before
that check, and never marks the image as verified.

Tests only: --watch-url URL watches URL instead of the environment's own, for an
emulator whose load balancer does not answer (moto). The override is reported.

Exit status: 0 deployed (or planned); 1 the deploy failed; 2 bad input (nothing was
changed).
Each failure is one line on stderr starting with "deploy: error:".
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import image_reference
import rollout
import rollout_watch
import smoke_test

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "prod")
REQUIRED_OUTPUTS = ("ecs_cluster_name", "ecs_service_name", "task_definition_family", "service_url")

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

# The share of answers a rehearsal's release fails on purpose: far above the 5xx
# alarm's 5 %, and still half the answers good (the old and new versions both show).
REHEARSAL_ERROR_RATE = 0.5


class DeployFailed(RuntimeError):
    """A step failed; the message is the one line the operator reads."""


class RolledBack(DeployFailed):
    """Terraform's apply failed because ECS rolled the new revision back (the service's
    postcondition): a failure for a deploy, what a rehearsal waits for."""


class BadInput(ValueError):
    """The request cannot be deployed, and nothing was changed; the message says why."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage before its error; a deploy log wants one line.
    def error(self, message: str):
        raise BadInput(f"{message} (see --help)")


def log(message: str) -> None:
    print(f"deploy: {message}", file=sys.stderr, flush=True)


def error_line(message: str) -> None:
    # On GitHub Actions the same line also becomes an annotation on the run's summary.
    prefix = "::error title=deploy::" if os.environ.get("GITHUB_ACTIONS") == "true" else ""
    print(f"{prefix}deploy: error: {message}", file=sys.stderr, flush=True)


def env_flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise BadInput(f"{name}={value!r}: expected 1/true/yes or 0/false/no")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = _Parser(
        prog="deploy.py",
        description="Deploy one image to one environment with Terraform, then verify it on ECS.",
        epilog="Every option also reads the environment variable named in brackets; the option wins.",
    )
    parser.add_argument("--environment", default=os.environ.get("DEPLOY_ENVIRONMENT"),
                        help="dev or prod [DEPLOY_ENVIRONMENT]")
    parser.add_argument("--image", default=os.environ.get("DEPLOY_IMAGE"),
                        help="REPOSITORY:TAG (dev only) or REPOSITORY@sha256:DIGEST [DEPLOY_IMAGE]")
    parser.add_argument("--backend-config", action="append", default=[], metavar="KEY=VALUE|FILE",
                        help="passed to terraform init as -backend-config, after the root's backend.hcl; "
                             "repeatable (the state bucket: bucket=NAME)")
    parser.add_argument("--infra-dir", type=Path,
                        help="the Terraform root to apply (default: infra/envs/<environment>)")
    # String defaults go through `type` too, so a bad variable gets argparse's one-line error.
    parser.add_argument("--timeout", type=float, default=os.environ.get("DEPLOY_TIMEOUT", "1200"),
                        help="seconds to wait for the service to be stable [DEPLOY_TIMEOUT, 1200]")
    parser.add_argument("--poll-interval", type=float, default=os.environ.get("DEPLOY_POLL_INTERVAL", "15"),
                        help="seconds between two looks at the service [DEPLOY_POLL_INTERVAL, 15]")
    saved = parser.add_mutually_exclusive_group()
    saved.add_argument("--save-plan", type=Path, metavar="FILE",
                       help="plan only: write the saved plan to FILE and its summary to the job summary")
    saved.add_argument("--apply-plan", type=Path, metavar="FILE",
                       help="apply the plan saved in FILE by --save-plan (refused if stale), then verify")
    parser.add_argument("--skip-smoke-test", action="store_true", default=None,
                        help="do not request the service URL (for emulators without a reachable "
                             "load balancer); the skip is reported [DEPLOY_SKIP_SMOKE_TEST=1]")
    parser.add_argument("--watcher", default=os.environ.get("DEPLOY_WATCHER", "http-echo"), metavar="BINARY",
                        help="the http-echo binary that watches the rollout (-watch); a path, or a name "
                             "on PATH [DEPLOY_WATCHER, http-echo]")
    # No environment variable: a stray one must never point a real deploy's watch elsewhere.
    parser.add_argument("--watch-url", metavar="URL",
                        help="tests only: watch URL instead of the environment's own (an emulator's load "
                             "balancer does not answer); reported")
    # No environment variable either: a stray one must never turn a deploy into a rehearsal.
    parser.add_argument("--rehearse-rollback", action="store_true",
                        help="dev only: deploy the image as a release that fails a share of its answers with "
                             "503 on purpose, and pass only if ECS rolls it back to the revision dev ran before")
    parser.add_argument("--rehearsal-error-rate", type=float, metavar="RATE",
                        help="with --rehearse-rollback: the share of answers its tasks fail (ECHO_ERROR_RATE), "
                             f"above 0 and at most 1 [{REHEARSAL_ERROR_RATE}]")
    arguments = parser.parse_args(argv)
    if arguments.skip_smoke_test is None:
        arguments.skip_smoke_test = env_flag("DEPLOY_SKIP_SMOKE_TEST")
    return arguments


def check_inputs(arguments: argparse.Namespace) -> image_reference.ImageReference:
    """Validate everything that can be validated without touching AWS."""
    if arguments.environment not in ENVIRONMENTS:
        raise BadInput(
            f"unknown environment {arguments.environment!r}: expected one of {', '.join(ENVIRONMENTS)}"
            if arguments.environment else "no environment given: pass --environment dev|prod"
        )
    image = image_reference.parse_for_environment(arguments.image or "", arguments.environment)
    check_rehearsal(arguments)
    if arguments.infra_dir is None:
        arguments.infra_dir = REPO_ROOT / "infra" / "envs" / arguments.environment
    if not any(arguments.infra_dir.glob("*.tf")):
        raise BadInput(f"no Terraform configuration in {arguments.infra_dir}")
    if arguments.timeout <= 0 or arguments.poll_interval <= 0:
        raise BadInput("--timeout and --poll-interval must be positive")
    if arguments.apply_plan is not None and not arguments.apply_plan.is_file():
        raise BadInput(f"no saved plan at {arguments.apply_plan}")
    if arguments.save_plan is None:
        watcher = shutil.which(arguments.watcher)
        if watcher is None:
            raise BadInput(f"no watcher: {arguments.watcher!r} is not an executable file nor a program on PATH; "
                           "every deploy is watched: pass --watcher with the path of an http-echo binary")
        arguments.watcher = watcher
    if arguments.watch_url is not None and not arguments.watch_url.startswith(("http://", "https://")):
        raise BadInput(f"--watch-url {arguments.watch_url!r}: expected an http:// or https:// URL")
    return image


def check_rehearsal(arguments: argparse.Namespace) -> None:
    if not arguments.rehearse_rollback:
        if arguments.rehearsal_error_rate is not None:
            raise BadInput("--rehearsal-error-rate is for --rehearse-rollback only")
        return
    if arguments.environment != "dev":
        raise BadInput(f"--rehearse-rollback is for dev only: {arguments.environment} never runs a release that "
                       "fails on purpose")
    if arguments.save_plan is not None or arguments.apply_plan is not None:
        raise BadInput("--rehearse-rollback plans and applies at once: not with --save-plan or --apply-plan")
    if arguments.rehearsal_error_rate is None:
        arguments.rehearsal_error_rate = REHEARSAL_ERROR_RATE
    if not 0 < arguments.rehearsal_error_rate <= 1:
        raise BadInput(f"--rehearsal-error-rate {arguments.rehearsal_error_rate:g}: expected a share above 0 and "
                       "at most 1")


# What Terraform says when a saved plan no longer matches the state it was made from.
STALE_PLAN = "Saved plan is stale"
# What the service's postcondition (infra/modules/service/ecs.tf) says when ECS rolled
# the new revision back.
ROLLED_BACK_BY_ECS = "ECS rolled the deployment back"


def terraform(infra_dir: Path, *args: str, capture: bool = False) -> str:
    command = ["terraform", f"-chdir={infra_dir}", *args]
    log("$ " + " ".join(command))
    try:
        result = subprocess.run(
            command, check=False, text=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else sys.stderr,
            stderr=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise DeployFailed("terraform is not installed (not on PATH)") from None
    # Terraform's errors go to the log as they would have; they are also read here.
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        if STALE_PLAN in result.stderr:
            raise DeployFailed("the saved plan is stale: the state changed after it was made "
                               "(another apply ran); nothing was applied, plan again")
        failure = RolledBack if ROLLED_BACK_BY_ECS in result.stderr else DeployFailed
        raise failure(f"terraform {args[0]} failed with exit code {result.returncode} (its output is above)")
    return result.stdout if capture else ""


def init(arguments: argparse.Namespace) -> None:
    # The root's backend.hcl (state key, region, locking) first; then what the caller
    # adds (the state bucket, which names the account, so it is not committed).
    infra_dir = arguments.infra_dir
    backend = (["backend.hcl"] if (infra_dir / "backend.hcl").is_file() else []) + arguments.backend_config
    terraform(infra_dir, "init", "-input=false", "-reconfigure", *(f"-backend-config={value}" for value in backend))


def plan(arguments: argparse.Namespace, image: image_reference.ImageReference, plan_file: Path) -> None:
    # A rehearsal's faults reach the new revision as the server's ECHO_* variables.
    faults = ([f"-var=fault_injection={{error_rate={arguments.rehearsal_error_rate:g}}}"]
              if arguments.rehearse_rollback else [])
    terraform(arguments.infra_dir, "plan", "-input=false", "-lock-timeout=10m", f"-out={plan_file.resolve()}",
              f"-var=container_image={image}", *faults)


def save_plan(arguments: argparse.Namespace, image: image_reference.ImageReference) -> None:
    """Plan only, for a review before the apply: the plan file and what it changes."""
    log(f"planning {image} for {arguments.environment}")
    init(arguments)
    plan(arguments, image, arguments.save_plan)
    shown = terraform(arguments.infra_dir, "show", "-no-color", str(arguments.save_plan.resolve()), capture=True)
    job_summary(f"### Plan of {arguments.environment} for {image}\n\n"
                "Approving the deployment applies exactly this plan.\n\n"
                f"```\n{shown}```\n")
    print(shown, end="")
    log(f"saved the plan of {arguments.environment} in {arguments.save_plan}")


def check_saved_plan(arguments: argparse.Namespace, image: image_reference.ImageReference) -> None:
    """The saved plan must be the one for this environment and this image."""
    shown = json.loads(terraform(arguments.infra_dir, "show", "-json", str(arguments.apply_plan.resolve()),
                                 capture=True))
    variables = {name: value.get("value") for name, value in (shown.get("variables") or {}).items()}
    if variables.get("container_image") != str(image) or variables.get("environment") != arguments.environment:
        raise DeployFailed(
            f"the saved plan {arguments.apply_plan} deploys {variables.get('container_image')} to "
            f"{variables.get('environment')}, not {image} to {arguments.environment}: nothing was applied"
        )


def current_outputs(infra_dir: Path) -> dict[str, str]:
    """The root's outputs in its state (after init): empty before the first apply."""
    raw = json.loads(terraform(infra_dir, "output", "-json", capture=True) or "{}")
    return {name: value.get("value") for name, value in raw.items()}


def apply(arguments: argparse.Namespace, image: image_reference.ImageReference) -> dict[str, str]:
    """Apply the environment's Terraform with the image (or the checked saved plan), after
    init; return its outputs."""
    infra_dir = arguments.infra_dir
    if arguments.apply_plan is not None:
        terraform(infra_dir, "apply", "-input=false", "-lock-timeout=10m", str(arguments.apply_plan.resolve()))
    else:
        with tempfile.TemporaryDirectory(prefix="deploy-plan-") as scratch:
            plan_file = Path(scratch) / "deploy.tfplan"
            # Plan then apply that very plan: what the log shows is what gets applied.
            plan(arguments, image, plan_file)
            terraform(infra_dir, "apply", "-input=false", "-lock-timeout=10m", str(plan_file))
    outputs = current_outputs(infra_dir)
    missing = [name for name in REQUIRED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise DeployFailed(f"{infra_dir} has no output {', '.join(missing)}: cannot find the service to verify")
    return outputs


def registered_task_definition(ecs, outputs: dict[str, str], image: image_reference.ImageReference) -> str:
    """The ARN of the task definition Terraform just registered, checked to run `image`."""
    # The root outputs the revision this apply left the service on. Without that output,
    # the family's newest ACTIVE revision is the one: Terraform registers a new revision
    # whenever the image changes.
    wanted = outputs.get("task_definition_arn") or outputs["task_definition_family"]
    definition = ecs.describe_task_definition(taskDefinition=wanted)["taskDefinition"]
    images = [container.get("image") for container in definition.get("containerDefinitions", [])]
    if str(image) not in images:
        raise DeployFailed(
            f"task definition {definition['taskDefinitionArn']} runs {', '.join(map(str, images)) or 'no container'}, "
            f"not {image}"
        )
    log(f"task definition {definition['taskDefinitionArn']} runs {image}")
    return definition["taskDefinitionArn"]


def watch_service(ecs, outputs: dict[str, str], verdict_of, timeout: float, poll_interval: float,
                  not_yet: str) -> None:
    """Looks at the service every poll_interval until verdict_of(its DescribeServices
    answer) is STABLE; logs each new verdict; fails on FAILED, and after `timeout` with
    "<service> <not_yet> after ... s"."""
    cluster, service_name = outputs["ecs_cluster_name"], outputs["ecs_service_name"]
    deadline = time.monotonic() + timeout
    last_reason = None
    while True:
        answer = ecs.describe_services(cluster=cluster, services=[service_name])
        if not answer.get("services"):
            raise DeployFailed(f"service {service_name} not found in cluster {cluster}: {answer.get('failures')}")
        verdict = verdict_of(answer["services"][0])
        if verdict.reason != last_reason:
            log(f"service {service_name}: {verdict.state.value}: {verdict.reason}")
            last_reason = verdict.reason
        if verdict.state is rollout.State.STABLE:
            return
        if verdict.state is rollout.State.FAILED:
            raise DeployFailed(f"service {service_name}: {verdict.reason}")
        if time.monotonic() + poll_interval > deadline:
            raise DeployFailed(f"service {service_name} {not_yet} after {timeout:.0f} s: {verdict.reason}")
        time.sleep(poll_interval)


def wait_for_service(ecs, outputs: dict[str, str], task_definition_arn: str, applied_at: datetime,
                     timeout: float, poll_interval: float) -> None:
    watch_service(ecs, outputs, lambda service: rollout.judge(service, task_definition_arn, applied_at),
                  timeout, poll_interval, "not stable")


def warning_line(title: str, message: str) -> None:
    prefix = f"::warning title={title}::" if os.environ.get("GITHUB_ACTIONS") == "true" else ""
    print(f"{prefix}deploy: warning: {message}", file=sys.stderr, flush=True)


def warn_unless_someone_listens(sns, topic_arn: str | None) -> None:
    """Alarms and failed deployments reach people only through a confirmed subscription."""
    if not topic_arn:
        return
    subscriptions = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        subscriptions += page.get("Subscriptions", [])
    confirmed = [s for s in subscriptions if s.get("SubscriptionArn", "").startswith("arn:")]
    if confirmed:
        return
    pending = len(subscriptions)
    warning_line("nobody hears the alarms", (
        f"{topic_arn} has no confirmed subscription ({pending} waiting for confirmation): alarms and failed "
        "deployments reach nobody; set alarm_emails in the environment's terraform.tfvars and confirm the e-mail"
        if pending else
        f"{topic_arn} has no subscription: alarms and failed deployments reach nobody; set alarm_emails in "
        "the environment's terraform.tfvars"))


def job_summary(markdown: str) -> None:
    """Appends to the run's page on GitHub (its job summary); nowhere else."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown)


@contextlib.contextmanager
def watched_rollout(arguments: argparse.Namespace, url: str | None):
    """Runs the watcher for the length of the block: started before it, stopped and
    reported after it, also when the block failed; then fails the deploy if a request
    the watcher sent failed (or the watcher broke). In a rehearsal, the failures it
    must meet are the rehearsal's 503s, and only those (rollout_watch.rehearsal_problem).
    Without a URL, there is nothing to watch yet, which is said."""
    environment = arguments.environment
    if arguments.rehearse_rollback:
        judge, heading = rollout_watch.rehearsal_problem, f"Rollback rehearsal in {environment}, watched"
        span = "from before the change until ECS had rolled it back"
    else:
        judge, heading = rollout_watch.problem, f"Rollout to {environment}, watched"
        span = "from before the change until ECS reported the service steady"
    if url is None:
        log(f"NOT WATCHED: {environment} has no service URL yet (its first deploy): no version answers "
            "yet, so no client can be dropped; the smoke test checks that it answers")
        job_summary(f"### Rollout to {environment}: not watched\n\nThe first deploy of {environment}: "
                    "nothing answered before it, so there was no rollout to watch.\n\n")
        yield
        return
    if arguments.watch_url is not None:
        log(f"watching {url} instead of the environment's own URL (--watch-url, for tests)")
    watcher = rollout_watch.Watcher(arguments.watcher, url)
    try:
        watcher.start()
    except rollout_watch.WatchFailed as failure:
        raise DeployFailed(f"{failure}: nothing was changed") from None
    log(f"watching {url} with {arguments.watcher} until ECS reports the service steady")
    try:
        yield
    except BaseException:
        # The deploy failed already; the watch says what clients met meanwhile, and the
        # deploy's own failure stays the one reported.
        try:
            report_watch(watcher.stop(), heading, "until the deploy failed")
        except rollout_watch.WatchFailed as failure:
            log(f"watch: {failure}")
        raise
    try:
        summary = watcher.stop()
    except rollout_watch.WatchFailed as failure:
        raise DeployFailed(str(failure)) from None
    report_watch(summary, heading, span)
    problem = judge(summary)
    if problem:
        raise DeployFailed(problem)


def report_watch(summary: dict, heading: str, span: str) -> None:
    log(f"watch: {rollout_watch.one_line(summary)}")
    job_summary(rollout_watch.markdown(summary, heading, span))


def report_to_github(values: dict[str, str]) -> None:
    """Hand the results to later workflow steps (the environment's URL, for one)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            for name, value in values.items():
                handle.write(f"{name}={value}\n")


def answers_and_is_heard(arguments: argparse.Namespace, outputs: dict[str, str]) -> None:
    """After the rollout: the smoke test of the environment's URL (unless skipped, which
    is said), then a warning when nobody would hear of its alarms."""
    import boto3

    if arguments.skip_smoke_test:
        log(f"SKIPPED the smoke test of {outputs['service_url']} (--skip-smoke-test / DEPLOY_SKIP_SMOKE_TEST): "
            "nothing has checked that it answers")
    else:
        try:
            smoke_test.check(outputs["service_url"], log=log)
        except smoke_test.SmokeTestFailed as failure:
            raise DeployFailed(str(failure)) from None
    warn_unless_someone_listens(boto3.client("sns"), outputs.get("sns_topic_arn"))


def running_task_definition(ecs, outputs: dict[str, str]) -> str:
    """The task definition the environment's service runs now."""
    cluster, service_name = outputs["ecs_cluster_name"], outputs["ecs_service_name"]
    answer = ecs.describe_services(cluster=cluster, services=[service_name])
    if not answer.get("services"):
        raise DeployFailed(f"service {service_name} not found in cluster {cluster}: {answer.get('failures')}")
    return answer["services"][0]["taskDefinition"]


def rehearsed_task_definition(ecs, outputs: dict[str, str], image: image_reference.ImageReference,
                              previous: str, error_rate: float) -> str:
    """The revision the rehearsal's apply registered: the family's newest, which must be
    another than the one the service ran, with the image and the fault in it."""
    # Also read when ECS rolled the apply back (the service's postcondition failed it),
    # so from the family rather than from the apply's outputs.
    definition = ecs.describe_task_definition(taskDefinition=outputs["task_definition_family"])["taskDefinition"]
    arn = definition["taskDefinitionArn"]
    if arn == previous:
        raise DeployFailed(f"the rehearsal registered no new revision: {arn} is the one the service ran before")
    [container] = definition.get("containerDefinitions") or [{}]
    environment = {pair.get("name"): pair.get("value") for pair in container.get("environment") or []}
    fault = environment.get("ECHO_ERROR_RATE")
    if container.get("image") != str(image) or fault is None or float(fault) != error_rate:
        raise DeployFailed(f"task definition {arn} runs {container.get('image')} with ECHO_ERROR_RATE={fault}, not "
                           f"{image} with ECHO_ERROR_RATE={error_rate:g}: it rehearses nothing")
    log(f"task definition {arn} runs {image} with ECHO_ERROR_RATE={fault}: it must be rolled back to {previous}")
    return arn


def wait_for_rollback(ecs, outputs: dict[str, str], rehearsed: str, previous: str, applied_at: datetime,
                      timeout: float, poll_interval: float) -> str:
    """Waits until ECS has rolled the rehearsal back and the service is steady on
    `previous`; fails at once when it is steady on the rehearsal instead. Returns what
    ECS said when it stopped the rehearsal's deployment, if it was seen saying it."""
    said = []

    def verdict_of(service: dict) -> rollout.Verdict:
        said.extend(d.get("rolloutStateReason", "") for d in service.get("deployments", [])
                    if d.get("taskDefinition") == rehearsed and d.get("rolloutState") == "FAILED")
        verdict = rollout.judge_rollback(service, rehearsed, previous, applied_at)
        if verdict.state is rollout.State.FAILED and verdict.reason.startswith("NOT rolled back"):
            return rollout.Verdict(verdict.state, f"{verdict.reason}; {outputs['ecs_service_name']} answers with "
                                                  "503 on purpose until a working release is deployed (re-run the "
                                                  "last deploy)")
        return verdict

    watch_service(ecs, outputs, verdict_of, timeout, poll_interval, "not rolled back")
    return next((reason for reason in reversed(said) if reason), "")


def rehearse_rollback(arguments: argparse.Namespace, image: image_reference.ImageReference) -> None:
    """Deploys the image as a release that fails on purpose; passes once ECS rolled it
    back and the service is steady on the revision it ran before."""
    import boto3

    environment, rate = arguments.environment, arguments.rehearsal_error_rate
    log(f"REHEARSAL of a rollback: deploying {image} to {environment} with ECHO_ERROR_RATE={rate:g} (a share of "
        "its answers 503 on purpose); ECS must roll it back")
    init(arguments)
    before = current_outputs(arguments.infra_dir)
    missing = [name for name in REQUIRED_OUTPUTS if not before.get(name)]
    if missing:
        raise DeployFailed(f"{environment} runs no service yet (no output {', '.join(missing)}): a rehearsal needs "
                           "a release to roll back to; deploy one first. Nothing was changed")
    ecs = boto3.client("ecs")
    previous = running_task_definition(ecs, before)
    log(f"service {before['ecs_service_name']} runs {previous}: the rehearsal must end there")
    with watched_rollout(arguments, arguments.watch_url or before["service_url"]):
        applied_at = datetime.now(timezone.utc)
        try:
            apply(arguments, image)
        except RolledBack:
            log("the apply failed as a rehearsal's must: ECS rolled the revision back (the service's postcondition)")
        rehearsed = rehearsed_task_definition(ecs, before, image, previous, rate)
        stopped_because = wait_for_rollback(ecs, before, rehearsed, previous, applied_at, arguments.timeout,
                                            arguments.poll_interval)
    answers_and_is_heard(arguments, before)
    report_to_github({"service_url": before["service_url"], "task_definition_arn": previous,
                      "rehearsed_task_definition_arn": rehearsed})
    why = f" ECS said: {stopped_because}" if stopped_because else ""
    job_summary(f"### Rollback rehearsal in {environment}: rolled back as expected\n\n"
                "| | task definition |\n| --- | --- |\n"
                f"| the rehearsal ({image}, ECHO_ERROR_RATE={rate:g}) | {rehearsed} |\n"
                f"| before, and again after the rollback | {previous} |\n\n"
                f"ECS rolled the rehearsal back, and the service is steady on the revision it ran before.{why}\n\n")
    log(f"rolled back as expected: {before['ecs_service_name']} runs {previous} again, steady; the rehearsal's "
        f"{rehearsed} (ECHO_ERROR_RATE={rate:g}) was rolled back.{why}")


def deploy(arguments: argparse.Namespace, image: image_reference.ImageReference) -> None:
    import boto3  # only now: the input checks above must work without it

    if arguments.save_plan is not None:
        save_plan(arguments, image)
        return
    if arguments.rehearse_rollback:
        rehearse_rollback(arguments, image)
        return
    log(f"deploying {image} to {arguments.environment}")
    init(arguments)
    if arguments.apply_plan is not None:
        check_saved_plan(arguments, image)
    watch_url = arguments.watch_url or current_outputs(arguments.infra_dir).get("service_url")
    ecs = boto3.client("ecs")
    with watched_rollout(arguments, watch_url):
        applied_at = datetime.now(timezone.utc)
        outputs = apply(arguments, image)
        task_definition_arn = registered_task_definition(ecs, outputs, image)
        wait_for_service(ecs, outputs, task_definition_arn, applied_at, arguments.timeout, arguments.poll_interval)
    answers_and_is_heard(arguments, outputs)
    report_to_github({"service_url": outputs["service_url"], "task_definition_arn": task_definition_arn,
                      "image": str(image)})
    log(f"deployed {image} to {arguments.environment}: {outputs['service_url']}")


def main(argv: list[str]) -> int:
    try:
        arguments = parse_arguments(argv)
        image = check_inputs(arguments)
    except (BadInput, image_reference.BadImageReference) as bad:
        error_line(str(bad))
        return EXIT_BAD_INPUT
    try:
        deploy(arguments, image)
    except DeployFailed as failure:
        error_line(str(failure))
        return EXIT_FAILED
    except Exception as failure:  # boto3/botocore errors: one line, not a traceback
        error_line(f"{type(failure).__name__}: {failure}")
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Judge an ECS rolling deployment from one DescribeServices answer (and a rehearsal of
a rollback, which must end on the previous revision).

"The service is stable" is not "the deploy worked": when the deployment circuit breaker
rolls a failed deployment back, the service becomes stable again on the *previous* task
definition, and a deploy step that only waits for stability reports success (the
official ECS deploy action once did exactly that). So the verdict here asks three
things of the service: is it running the task definition we just registered, did the
circuit breaker stop or roll back our deployment, and has our deployment finished.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any


class State(Enum):
    IN_PROGRESS = "in progress"
    STABLE = "stable"
    FAILED = "failed"


@dataclass(frozen=True)
class Verdict:
    state: State
    reason: str


def judge(service: dict[str, Any], task_definition_arn: str, applied_at: datetime) -> Verdict:
    """Where the deployment of `task_definition_arn`, applied at `applied_at`, stands.

    `service` is one element of DescribeServices' `services`, as boto3 returns it
    (timestamps as aware datetimes). `applied_at` is an aware datetime taken just before
    Terraform changed the service: a deployment created after it is ours or a reaction
    to ours.
    """
    name = service.get("serviceName", "the service")
    if service.get("status") != "ACTIVE":
        return Verdict(State.FAILED, f"{name} is {service.get('status')}, not ACTIVE")

    deployments = service.get("deployments", [])
    for deployment in deployments:
        if deployment.get("taskDefinition") == task_definition_arn and deployment.get("rolloutState") == "FAILED":
            return Verdict(
                State.FAILED,
                f"the deployment circuit breaker stopped deployment {deployment.get('id')}: "
                f"{deployment.get('rolloutStateReason', 'no reason given')}",
            )

    running = service.get("taskDefinition")
    if running != task_definition_arn:
        return Verdict(
            State.FAILED,
            f"{name} now runs {running}, not {task_definition_arn}: "
            "rolled back by the circuit breaker, or changed by someone else",
        )

    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return Verdict(State.IN_PROGRESS, "no primary deployment yet")
    created = primary.get("createdAt")
    if primary.get("taskDefinition") != task_definition_arn and created is not None and created >= applied_at:
        # A primary deployment that started after our apply and runs something else is
        # the rollback deployment itself. (An older primary with another task definition
        # is what moto reports after an update: it does not refresh deployments.)
        return Verdict(
            State.FAILED,
            f"deployment {primary.get('id')} started after ours and runs {primary.get('taskDefinition')}: rolled back",
        )
    if primary.get("rolloutState") == "FAILED":
        return Verdict(State.FAILED, f"primary deployment failed: {primary.get('rolloutStateReason', 'no reason given')}")

    desired = service.get("desiredCount", 0)
    running_count = service.get("runningCount", 0)
    if desired == 0:
        return Verdict(State.FAILED, f"{name} wants 0 tasks: nothing would run the new image")
    if len(deployments) > 1:
        return Verdict(State.IN_PROGRESS, f"{len(deployments)} deployments still active (old tasks draining)")
    if primary.get("rolloutState") != "COMPLETED":
        return Verdict(
            State.IN_PROGRESS,
            f"rollout {primary.get('rolloutState', 'state unknown')}: {running_count}/{desired} tasks running",
        )
    if running_count < desired:
        return Verdict(State.IN_PROGRESS, f"{running_count}/{desired} tasks running")
    return Verdict(State.STABLE, f"{running_count}/{desired} tasks running {task_definition_arn}")


def judge_rollback(service: dict[str, Any], rehearsed: str, previous: str, applied_at: datetime) -> Verdict:
    """Where a rehearsal of a rollback stands: the deployment of `rehearsed` (a release
    that fails on purpose), applied at `applied_at` to a service that ran `previous`,
    must be rolled back by ECS.

    STABLE: ECS rolled it back and the service is steady on `previous` again, which is
    the rehearsal's success. FAILED: it was not rolled back (the service is steady on
    `rehearsed`), or the service runs neither revision. IN_PROGRESS otherwise: the
    rollout, or the rollback, still runs.
    """
    name = service.get("serviceName", "the service")
    verdict = judge(service, rehearsed, applied_at)
    if verdict.state is State.STABLE:
        return Verdict(State.FAILED, f"NOT rolled back: {name} is steady on {rehearsed}, the rehearsal's "
                                     f"revision, which fails on purpose ({verdict.reason})")
    if verdict.state is State.IN_PROGRESS or service.get("status") != "ACTIVE":
        return verdict
    running = service.get("taskDefinition")
    if running == rehearsed:
        # Stopped (circuit breaker or alarm); the rollback deployment has not taken over yet.
        return Verdict(State.IN_PROGRESS, f"rolling back: {verdict.reason}")
    if running != previous:
        return Verdict(State.FAILED, f"{name} runs {running}, neither the rehearsal's {rehearsed} nor {previous}, "
                                     "which it ran before: changed by someone else")
    deployments = service.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    desired, running_count = service.get("desiredCount", 0), service.get("runningCount", 0)
    if len(deployments) > 1:
        return Verdict(State.IN_PROGRESS, f"rolling back to {previous}: {len(deployments)} deployments still "
                                          "active (the rehearsal's tasks draining)")
    if primary is not None and primary.get("rolloutState", "COMPLETED") != "COMPLETED":
        return Verdict(State.IN_PROGRESS, f"rolling back to {previous}: rollout {primary.get('rolloutState')}, "
                                          f"{running_count}/{desired} tasks running")
    if desired == 0:
        return Verdict(State.FAILED, f"{name} wants 0 tasks: nothing runs {previous} again")
    if running_count < desired:
        return Verdict(State.IN_PROGRESS, f"rolling back to {previous}: {running_count}/{desired} tasks running")
    return Verdict(State.STABLE, f"rolled back: {running_count}/{desired} tasks running {previous}")

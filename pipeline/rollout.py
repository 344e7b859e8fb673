"""Judge an ECS rolling deployment from one DescribeServices answer.

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

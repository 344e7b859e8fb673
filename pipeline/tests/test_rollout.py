"""The rollout verdict on DescribeServices answers, including the ones moto cannot give.

moto does not run tasks, so it never trips a deployment circuit breaker nor rolls one
back. The answers below are written in the shape ECS documents for DescribeServices
(services[].deployments[] with status, taskDefinition, rolloutState,
rolloutStateReason, createdAt): this is the one place where the pipeline tests use
hand-made AWS answers, because nothing here can produce real ones. The successful
paths are also run against moto in test_deploy_moto.py.

A rehearsal of a rollback (judge_rollback) turns the verdict around: the rehearsal's
revision (NEW, which fails on purpose) must be rolled back, and the service end steady
on the revision it ran before (OLD).
"""

from datetime import datetime, timedelta, timezone

import pytest
from rollout import State, judge, judge_rollback

APPLIED = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
BEFORE, AFTER, LATER = APPLIED - timedelta(days=3), APPLIED + timedelta(seconds=20), APPLIED + timedelta(minutes=9)
FAMILY = "arn:aws:ecs:us-east-1:123456789012:task-definition/http-echo-dev"
OLD, NEW = f"{FAMILY}:41", f"{FAMILY}:42"


def deployment(task_definition, status="PRIMARY", rollout="COMPLETED", created=AFTER, reason=None, ident="ecs-svc/1"):
    return {"id": ident, "status": status, "taskDefinition": task_definition, "rolloutState": rollout,
            "rolloutStateReason": reason or f"ECS deployment {ident} {rollout.lower()}.", "createdAt": created,
            "desiredCount": 2, "runningCount": 2}


def service(task_definition, deployments, desired=2, running=2, status="ACTIVE"):
    return {"serviceName": "http-echo-dev", "status": status, "taskDefinition": task_definition,
            "desiredCount": desired, "runningCount": running, "deployments": deployments}


def test_finished_deployment_is_stable():
    verdict = judge(service(NEW, [deployment(NEW)]), NEW, APPLIED)
    assert verdict.state is State.STABLE, verdict.reason


def test_old_tasks_still_draining_is_in_progress():
    answer = service(NEW, [deployment(NEW, rollout="IN_PROGRESS"), deployment(OLD, status="ACTIVE", created=BEFORE)])
    verdict = judge(answer, NEW, APPLIED)
    assert verdict.state is State.IN_PROGRESS and "2 deployments" in verdict.reason


def test_completed_but_not_all_tasks_running_is_in_progress():
    verdict = judge(service(NEW, [deployment(NEW)], running=1), NEW, APPLIED)
    assert verdict.state is State.IN_PROGRESS and "1/2" in verdict.reason


def test_circuit_breaker_tripped_fails_at_once():
    # While ECS rolls back: our deployment FAILED, the rollback deployment is PRIMARY.
    reason = "ECS deployment circuit breaker: tasks failed to start."
    answer = service(OLD, [deployment(OLD, rollout="IN_PROGRESS", created=LATER, ident="ecs-svc/rollback"),
                           deployment(NEW, status="ACTIVE", rollout="FAILED", reason=reason, ident="ecs-svc/ours")])
    verdict = judge(answer, NEW, APPLIED)
    assert verdict.state is State.FAILED
    assert "circuit breaker stopped deployment ecs-svc/ours" in verdict.reason and reason in verdict.reason


def test_circuit_breaker_without_rollback_fails():
    answer = service(NEW, [deployment(NEW, rollout="FAILED", reason="tasks failed to start.")], running=0)
    assert judge(answer, NEW, APPLIED).state is State.FAILED


def test_finished_rollback_fails_although_the_service_is_stable():
    # The case a wait-for-stable deploy step reports as a success: after the rollback,
    # one COMPLETED deployment, every task running... the previous task definition.
    answer = service(OLD, [deployment(OLD, created=LATER, ident="ecs-svc/rollback")])
    verdict = judge(answer, NEW, APPLIED)
    assert verdict.state is State.FAILED and "rolled back" in verdict.reason


def test_rollback_deployment_newer_than_ours_fails_even_if_service_field_lags():
    answer = service(NEW, [deployment(OLD, created=LATER, ident="ecs-svc/rollback")])
    verdict = judge(answer, NEW, APPLIED)
    assert verdict.state is State.FAILED and "ecs-svc/rollback" in verdict.reason


def test_older_primary_with_another_task_definition_is_not_a_rollback():
    # What moto answers after an update (it keeps the deployment it made at creation):
    # a deployment older than our apply cannot be a reaction to it.
    answer = service(NEW, [deployment(OLD, created=BEFORE)])
    assert judge(answer, NEW, APPLIED).state is State.STABLE


def test_service_changed_by_someone_else_fails():
    other = f"{FAMILY}:43"
    assert judge(service(other, [deployment(other)]), NEW, APPLIED).state is State.FAILED


@pytest.mark.parametrize("status", ["DRAINING", "INACTIVE"])
def test_service_being_deleted_fails(status):
    assert judge(service(NEW, [deployment(NEW)], status=status), NEW, APPLIED).state is State.FAILED


def test_zero_desired_tasks_fails():
    verdict = judge(service(NEW, [deployment(NEW)], desired=0, running=0), NEW, APPLIED)
    assert verdict.state is State.FAILED and "0 tasks" in verdict.reason


def test_no_deployment_yet_is_in_progress():
    assert judge(service(NEW, []), NEW, APPLIED).state is State.IN_PROGRESS


# A rehearsal: NEW must be rolled back to OLD ########################################


def rehearsal(answer):
    return judge_rollback(answer, NEW, OLD, APPLIED)


def test_a_rehearsal_steady_on_its_own_revision_was_not_rolled_back():
    verdict = rehearsal(service(NEW, [deployment(NEW)]))
    assert verdict.state is State.FAILED and verdict.reason.startswith("NOT rolled back: ")


def test_a_rehearsal_still_rolling_out_is_in_progress():
    answer = service(NEW, [deployment(NEW, rollout="IN_PROGRESS"), deployment(OLD, status="ACTIVE", created=BEFORE)])
    assert rehearsal(answer).state is State.IN_PROGRESS


def test_a_rehearsal_stopped_by_the_alarm_before_the_rollback_took_over_is_in_progress():
    reason = "ECS deployment ecs-svc/ours rolled back: alarm http-echo-dev-target-5xx in ALARM state."
    answer = service(NEW, [deployment(NEW, rollout="FAILED", reason=reason, ident="ecs-svc/ours")])
    verdict = rehearsal(answer)
    assert verdict.state is State.IN_PROGRESS and reason in verdict.reason


def test_a_rehearsal_rolling_back_while_its_tasks_drain_is_in_progress():
    answer = service(OLD, [deployment(OLD, rollout="IN_PROGRESS", created=LATER, ident="ecs-svc/rollback"),
                           deployment(NEW, status="ACTIVE", rollout="FAILED", ident="ecs-svc/ours")])
    verdict = rehearsal(answer)
    assert verdict.state is State.IN_PROGRESS and "rolling back" in verdict.reason


def test_a_rehearsal_rolled_back_with_tasks_still_starting_is_in_progress():
    answer = service(OLD, [deployment(OLD, created=LATER, ident="ecs-svc/rollback")], running=1)
    assert rehearsal(answer).state is State.IN_PROGRESS


def test_a_rehearsal_rolled_back_and_steady_on_the_previous_revision_passes():
    verdict = rehearsal(service(OLD, [deployment(OLD, created=LATER, ident="ecs-svc/rollback")]))
    assert verdict.state is State.STABLE and verdict.reason == f"rolled back: 2/2 tasks running {OLD}"


def test_a_rehearsal_that_ends_on_a_third_revision_fails():
    other = f"{FAMILY}:43"
    verdict = rehearsal(service(other, [deployment(other, created=LATER)]))
    assert verdict.state is State.FAILED and "neither the rehearsal's" in verdict.reason

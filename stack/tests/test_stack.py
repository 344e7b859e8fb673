"""The local stack under steady load: a failed release rolled back, a killed replica,
a stopped replica. (A successful roll under load is test_readme_stack.py's, run with
the README's own command.)

The load goes to the balancer on 127.0.0.1 only; the replicas are reached through it.
Each test leaves the stack as it found it: REPLICAS healthy replicas.
"""

import time

from conftest import REPLICAS, report
from docker_cli import docker, inspect, wait_for
from load import Load, overlapping, summary

# Each test's load stops by itself after this long even if the test hangs.
LOAD_LIMIT_SECONDS = 150


def failures_text(outcomes) -> str:
    failed = [o for o in outcomes if not o.ok]
    return "; ".join(sorted({o.error or "?" for o in failed}))[:1000]


def served_requests(container_id: str, since: str | None = None) -> int:
    """Echo requests in a replica's access log (health checks excluded)."""
    args = ["logs", container_id] + (["--since", since] if since else [])
    log = docker(*args)
    return sum(1 for line in log.splitlines() if '"GET / ' in line)


def docker_now() -> str:
    """Now, in the form `docker logs --since` takes."""
    return f"{time.time():.6f}"


def test_replicas_run_as_the_stack_file_says(stack):
    for container_id in stack.app_containers():
        container = inspect(container_id)
        host = container["HostConfig"]
        assert container["Config"]["User"] == "65532:65532"
        assert host["ReadonlyRootfs"] is True
        assert [c.upper().removeprefix("CAP_") for c in host["CapDrop"]] == ["ALL"]
        assert host["Memory"] == 64 * 1024 * 1024
        assert container["State"]["Health"]["Status"] == "healthy"
    service = inspect(stack.app_service, "service")["Spec"]
    update = service["UpdateConfig"]
    assert (update["Order"], update["Parallelism"]) == ("start-first", 1)
    assert service["TaskTemplate"]["RestartPolicy"]["Condition"] == "any"
    assert service["EndpointSpec"]["Mode"] == "dnsrr"


def test_failed_release_is_rolled_back_under_load(stack, lb_image):
    """A release whose containers exit at start (here: an image that is not http-echo)
    never takes traffic: the old replicas serve throughout, Swarm rolls back, and
    stack/up.sh says so and fails."""
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Load(stack.port, max_seconds=LOAD_LIMIT_SECONDS) as load:
        load.wait_for_requests(50)
        started = time.monotonic()
        result = stack.deploy("broken", lb_image)
        seconds = time.monotonic() - started
        wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy {text} replicas after the rollback")
        load.wait_for_requests(100)
    outcomes = load.outcomes()

    report(f"failed release: stack/up.sh exited {result.returncode} after {seconds:.1f} s: {result.stderr.strip().splitlines()[-1:]}")
    report(f"failed release, whole run: {summary(outcomes)}")

    assert result.returncode != 0 and "rolled back" in result.stderr
    assert not [o for o in outcomes if not o.ok], failures_text(outcomes)
    assert {o.body for o in outcomes} == {f"{text}\n"}


def test_replica_killed_under_load_is_replaced(stack):
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Load(stack.port, max_seconds=LOAD_LIMIT_SECONDS) as load:
        load.wait_for_requests(50)
        victim = stack.app_containers()[0]
        kill_started = time.monotonic()
        docker("kill", "--signal", "KILL", victim)
        kill_done = time.monotonic()

        wait_for(
            lambda: victim not in stack.app_containers() and stack.settled(text),
            30,
            "a healthy replacement replica within 30 s",
        )
        recovered = time.monotonic()
        replacements = [c for c in stack.app_containers() if c != victim]
        # Back in rotation, not only running: the balancer sends it requests.
        newest = max(replacements, key=lambda c: inspect(c)["State"]["StartedAt"])
        rotation_seconds = wait_for(lambda: served_requests(newest) > 0, 15, "the replacement to get traffic")
        load.wait_for_requests(200)
    outcomes = load.outcomes()
    in_flight = overlapping(outcomes, kill_started, kill_done)
    failed = [o for o in outcomes if not o.ok]
    after = [o for o in outcomes if o.started >= recovered]

    report(
        f"replica SIGKILL: {len(failed)} failed requests; {len(in_flight)} requests were in flight "
        f"(on all replicas) while the kill ran"
    )
    report(
        f"replica SIGKILL: replacement healthy {recovered - kill_started:.1f} s after the kill "
        f"(limit 30 s), serving traffic {rotation_seconds:.1f} s later"
    )
    report(f"replica SIGKILL, whole run: {summary(outcomes)}")
    report(f"replica SIGKILL, after recovery: {summary(after)}")

    assert len(failed) <= len(in_flight), failures_text(outcomes)
    assert after and all(o.ok for o in after), failures_text(after)


def test_replica_stopped_under_load_drains_its_requests(stack):
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Load(stack.port, max_seconds=LOAD_LIMIT_SECONDS) as load:
        load.wait_for_requests(50)
        victim = stack.app_containers()[0]
        sigterm_sent = docker_now()
        stop_started = time.monotonic()
        docker("stop", "--time", "15", victim)
        stop_seconds = time.monotonic() - stop_started
        wait_for(lambda: victim not in stack.app_containers() and stack.settled(text), 30, "a replacement replica")
        load.wait_for_requests(100)
    outcomes = load.outcomes()
    state = inspect(victim)["State"]
    after_sigterm = served_requests(victim, since=sigterm_sent)

    report(
        f"replica docker stop: exited after {stop_seconds:.1f} s (5 s shutdown delay, 15 s grace), "
        f"exit code {state['ExitCode']}; it served {after_sigterm} requests after SIGTERM"
    )
    report(f"replica docker stop, whole run: {summary(outcomes)}")

    assert state["ExitCode"] == 2
    assert 5 <= stop_seconds < 15
    # It was still serving when asked to stop, and every one of those requests completed.
    assert after_sigterm > 0
    assert all(o.ok for o in outcomes), failures_text(outcomes)

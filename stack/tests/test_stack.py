"""The local stack, watched: a failed release rolled back, a killed replica, a stopped
replica, each under the rollout watcher's steady requests (watch.py), the client every
production deploy runs. (A successful roll, watched, is test_readme_stack.py's, run
with the README's own command.)

The requests go to the balancer on 127.0.0.1 only; the replicas are reached through it.
Each test leaves the stack as it found it: REPLICAS healthy replicas.
"""

import time

from conftest import REPLICAS, report
from docker_cli import docker, inspect, wait_for
from watch import Watch, describe, failures, texts

# Each test's watch stops by itself after this long even if the test hangs.
WATCH_LIMIT_SECONDS = 150


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


def test_failed_release_is_rolled_back_watched(stack, lb_image, watcher):
    """A release whose containers exit at start (here: an image that is not http-echo)
    never takes traffic: the old replicas serve throughout, Swarm rolls back, and
    stack/up.sh says so and fails."""
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Watch(watcher, stack.port, max_seconds=WATCH_LIMIT_SECONDS) as watch:
        watch.wait_for_answer(text)
        watch.keep_sending(1)
        started = time.monotonic()
        result = stack.deploy("broken", lb_image)
        seconds = time.monotonic() - started
        wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy {text} replicas after the rollback")
        watch.keep_sending(1)
    watched = watch.summary

    report(f"failed release: stack/up.sh exited {result.returncode} after {seconds:.1f} s: {result.stderr.strip().splitlines()[-1:]}")
    report(f"failed release, watched: {describe(watched)}")

    assert result.returncode != 0 and "rolled back" in result.stderr
    assert watched["failed"] == 0, failures(watched)
    assert texts(watched) == [text], watched["versions"]


def test_replica_killed_watched_is_replaced(stack, watcher):
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Watch(watcher, stack.port, max_seconds=WATCH_LIMIT_SECONDS) as watch:
        watch.wait_for_answer(text)
        watch.keep_sending(1)
        victim = stack.app_containers()[0]
        kill_started = time.monotonic()
        killed_at = watch.seconds()
        docker("kill", "--signal", "KILL", victim)

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
        watch.keep_sending(2)
    watched = watch.summary

    report(
        f"replica SIGKILL (at {killed_at:.1f} s of the watch): replacement healthy "
        f"{recovered - kill_started:.1f} s after the kill (limit 30 s), serving traffic {rotation_seconds:.1f} s later"
    )
    report(f"replica SIGKILL, watched: {describe(watched)}")

    # The balancer retries a request whose replica died before answering (haproxy.cfg):
    # no client meets the kill.
    assert watched["failed"] == 0, failures(watched)
    assert texts(watched) == [text], watched["versions"]


def test_replica_stopped_watched_drains_its_requests(stack, watcher):
    text = stack.text
    wait_for(lambda: stack.settled(text), 60, f"{REPLICAS} healthy replicas")
    with Watch(watcher, stack.port, max_seconds=WATCH_LIMIT_SECONDS) as watch:
        watch.wait_for_answer(text)
        watch.keep_sending(1)
        victim = stack.app_containers()[0]
        sigterm_sent = docker_now()
        stop_started = time.monotonic()
        docker("stop", "--time", "15", victim)
        stop_seconds = time.monotonic() - stop_started
        wait_for(lambda: victim not in stack.app_containers() and stack.settled(text), 30, "a replacement replica")
        watch.keep_sending(1)
    watched = watch.summary
    state = inspect(victim)["State"]
    after_sigterm = served_requests(victim, since=sigterm_sent)

    report(
        f"replica docker stop: exited after {stop_seconds:.1f} s (5 s shutdown delay, 15 s grace), "
        f"exit code {state['ExitCode']}; it served {after_sigterm} requests after SIGTERM"
    )
    report(f"replica docker stop, watched: {describe(watched)}")

    assert state["ExitCode"] == 2
    assert 5 <= stop_seconds < 15
    # It was still serving when asked to stop, and every one of those requests completed.
    assert after_sigterm > 0
    assert watched["failed"] == 0, failures(watched)

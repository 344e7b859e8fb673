"""The README's stack commands, run exactly as README.md writes them: start, roll, scale,
stop, under the README's own names (stack http-echo on port 5678, images
http-echo:local and http-echo-lb:local, or haproxy:2.6.12 where a registry answers);
and a start that cannot make its images leaves nothing half-made.

The commands are read from README.md itself, so the test follows the README. The
README's stack needs its port and name free: the test fails, saying so, when they are
taken (a stack of the developer's own, say) rather than disturb it. It removes the
stack and the images it built; the swarm goes at the end of the session (conftest's
engine_swarm) when the engine was in none before.

This module runs before test_stack.py (pytest takes files in name order), so on a
clean engine the failed start below meets an engine that is in no swarm yet.
"""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import REPO_ROOT, Stack, report
from docker_cli import DockerError, docker, wait_for
from watch import Watch, describe, failures, texts

README = REPO_ROOT / "README.md"
SECTION = "## The image and the local stack"
NAME, PORT = "http-echo", 5678
# What the README's start may build or pull; those that were not here before are removed.
IMAGES = ("http-echo:local", "http-echo-lb:local", "haproxy:2.6.12")
# The settings stack/up.sh reads; a user following the README has none of them set.
SETTINGS = ("STACK_NAME", "APP_IMAGE", "LB_IMAGE", "ECHO_TEXT", "PUBLISHED_PORT", "HAPROXY_CONFIG_HASH")
# The watcher's clock and the test's start a few milliseconds apart.
CLOCK_SLACK_SECONDS = 0.5
OFFLINE_LINE = re.compile(r"^up\.sh: no registry answers \(.*\), so the images are built here, pulling nothing$",
                          re.MULTILINE)


def readme_stack_commands() -> dict[str, str]:
    """The first code block of the README's stack section, as start/roll/scale/stop."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[:section.find("\n## ", 1)]
    block, started = [], False
    for line in section.splitlines():
        if line.startswith("    ") and line.strip():
            block.append(line.strip())
            started = True
        elif started and line.strip():
            break
    commands = [re.sub(r"\s+#.*$", "", line) for line in block]
    roles = {}
    for command in commands:
        if command == "stack/up.sh":
            roles["start"] = command
        elif re.fullmatch(r"ECHO_TEXT=\S+ stack/up\.sh", command):
            roles["roll"] = command
        elif re.fullmatch(rf"docker service scale {NAME}_app=\d+", command):
            roles["scale"] = command
        elif command == "stack/down.sh":
            roles["stop"] = command
    assert list(roles) == ["start", "roll", "scale", "stop"], \
        f"README.md's stack commands are not start, roll, scale, stop in that order: {commands}"
    return roles


def user_environment(path: str | None = None) -> dict:
    """This process's environment without any stack setting, as a new user's shell has it."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS}
    if path is not None:
        env["PATH"] = path
    return env


def run(command: str, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """One README line, run by bash from the repository root, as a reader would paste it;
    the result carries the seconds it took."""
    started = time.monotonic()
    result = subprocess.run(["bash", "-c", command], cwd=REPO_ROOT, env=env or user_environment(),
                            capture_output=True, text=True, timeout=timeout)
    result.seconds = time.monotonic() - started
    return result


def port_is_free(port: int) -> bool:
    """Whether a server could listen on the port now (as servers do, despite connections
    to an earlier one still in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def refused(port: int) -> bool:
    """Nothing answers on the port of 127.0.0.1."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def stack_leftovers(name: str) -> list[str]:
    """Containers, services and networks of the stack that still exist."""
    label = f"label=com.docker.stack.namespace={name}"
    found = docker("ps", "--all", "--quiet", "--filter", label).split()
    if docker("info", "--format", "{{.Swarm.LocalNodeState}}") == "active":
        found += docker("service", "ls", "--quiet", "--filter", label).split()
    found += docker("network", "ls", "--quiet", "--filter", label).split()
    return found


def dangling_images() -> set[str]:
    return set(docker("images", "--quiet", "--no-trunc", "--filter", "dangling=true").split())


@pytest.fixture(scope="module")
def readme_names_free():
    """The README's port and stack name are free; the images it builds are removed after."""
    if stack_leftovers(NAME) or not port_is_free(PORT):
        pytest.fail(f"the README's stack needs the stack name '{NAME}' and port {PORT}, which are taken "
                    f"on this machine: stop what holds them (stack/down.sh) and run the suite again")
    existing = [image for image in IMAGES if docker("image", "inspect", image, check=False)
                not in ("", "[]")]
    yield
    run("stack/down.sh", timeout=120)
    for image in IMAGES:
        if image not in existing:
            docker("image", "rm", image, check=False)


def test_a_start_that_cannot_build_leaves_nothing_half_made(readme_names_free, engine_swarm, tmp_path):
    """Offline and without Rust on PATH, the app image cannot be made: up.sh must say
    what to do, and must not have turned the engine into a swarm or left an untagged
    image behind. (--offline, so that a registry, where one answers, cannot save it.)"""
    # Every directory of PATH but those holding cargo, whose absence is the failure here.
    path = ":".join(d for d in os.environ["PATH"].split(":") if d and not os.path.exists(os.path.join(d, "cargo")))
    assert shutil.which("cargo", path=path) is None and shutil.which("docker", path=path)
    swarm_before = docker("info", "--format", "{{.Swarm.LocalNodeState}}")
    dangling_before = dangling_images()
    env = {**user_environment(path), "APP_IMAGE": "http-echo-test:never-built"}

    result = run("stack/up.sh --offline", env=env, timeout=120)

    report(f"failed start (no cargo): exit {result.returncode}; {result.stderr.strip().splitlines()[-1:]}")
    assert result.returncode == 1, result.stderr
    assert "needs Rust (cargo)" in result.stderr and "run stack/up.sh again" in result.stderr, result.stderr
    assert docker("info", "--format", "{{.Swarm.LocalNodeState}}") == swarm_before, \
        "up.sh changed the engine's swarm state although it could not make its images"
    assert dangling_images() <= dangling_before, "up.sh left untagged images behind"
    if engine_swarm == "active":
        report("failed start: the engine was in a swarm already, so only 'unchanged' was checked")


# Where a registry answers (a GitHub runner), the start compiles the image inside Docker.
@pytest.mark.timeout(1500)
def test_the_readme_stack_commands_work_as_written(readme_names_free, watcher):
    commands = readme_stack_commands()
    stack = Stack(NAME, PORT)
    new_text = re.match(r"ECHO_TEXT=(\S+) ", commands["roll"]).group(1)
    replicas = int(commands["scale"].rsplit("=", 1)[1])

    # Start: on an engine that can pull nothing, up.sh finds that out by itself.
    dangling_before = dangling_images()
    result = run(commands["start"])
    assert result.returncode == 0, f"{commands['start']} failed:\n{result.stderr[-4000:]}"
    offline = OFFLINE_LINE.findall(result.stderr)
    lb_image = docker("service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", f"{NAME}_lb")
    report(f"README start ({commands['start']}): {result.seconds:.1f} s; "
           f"{offline[0] if offline else 'a registry answered'}; balancer image {lb_image}")
    assert len(offline) <= 1, "the offline decision must be said once"
    assert lb_image == ("http-echo-lb:local" if offline else "haproxy:2.6.12")
    assert dangling_images() <= dangling_before, "the start left untagged images behind"
    wait_for(lambda: stack.settled("hello-world"), 60, "2 healthy hello-world replicas")

    def balancer_answers(text: str) -> bool:
        try:
            return set(stack.answers(4)) == {text}
        except (OSError, DockerError):
            return False

    wait_for(lambda: balancer_answers("hello-world"), 30, "the balancer to answer hello-world")

    # Roll, watched through the balancer by the watcher every deploy runs: not one
    # request may fail, and the answers move from the old text to the new.
    with Watch(watcher, PORT, max_seconds=240) as watch:
        watch.wait_for_answer("hello-world")
        watch.keep_sending(1)
        roll = run(commands["roll"], timeout=300)
        assert roll.returncode == 0, f"{commands['roll']} failed:\n{roll.stderr[-4000:]}"
        wait_for(lambda: stack.settled(new_text), 60, f"2 healthy {new_text} replicas and no old one left")
        rolled = watch.seconds()
        watch.keep_sending(2)
    watched = watch.summary
    rolled_lb_image = docker("service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
                             f"{NAME}_lb")
    report(f"README roll ({commands['roll']}): {roll.seconds:.1f} s; watched: {describe(watched)}; "
           f"balancer image {rolled_lb_image}")
    assert rolled_lb_image == lb_image, "the roll changed the balancer's image"
    assert watched["failed"] == 0, failures(watched)
    assert watched["connections"]["new"] > 0 and watched["connections"]["reused"] > 0, watched["connections"]
    # Both versions seen, the old first; once the roll was over, only the new answered.
    assert texts(watched) == ["hello-world", new_text], watched["versions"]
    old, new = watched["versions"]
    assert old["last_s"] <= rolled + CLOCK_SLACK_SECONDS < new["last_s"], watched["versions"]

    # Scale: every new replica is healthy and gets requests through the balancer.
    result = run(commands["scale"], timeout=180)
    assert result.returncode == 0, f"{commands['scale']} failed:\n{result.stderr[-2000:]}"
    wait_for(lambda: stack.settled(new_text, replicas), 60, f"{replicas} healthy replicas")

    def every_replica_served() -> bool:
        stack.answers(2 * replicas)
        return all('"GET / ' in docker("logs", c) for c in stack.app_containers())

    seconds = wait_for(every_replica_served, 30, f"each of the {replicas} replicas to get requests")
    report(f"README scale ({commands['scale']}): {result.seconds:.1f} s; {replicas} healthy replicas, "
           f"each serving {seconds:.1f} s later")

    # Stop: nothing of the stack is left, and the port is closed.
    result = run(commands["stop"], timeout=120)
    assert result.returncode == 0, f"{commands['stop']} failed:\n{result.stderr[-2000:]}"
    assert stack_leftovers(NAME) == []
    wait_for(lambda: refused(PORT), 30, f"port {PORT} to refuse connections")
    report(f"README stop ({commands['stop']}): {result.seconds:.1f} s; nothing of the stack left")

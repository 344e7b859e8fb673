"""Shared fixtures: the images under test, the swarm, the running stack, and the report.

Everything these tests create carries a name unique to the run (RUN_ID) and is
removed at the end, also when a test fails: image tags, containers, networks, the
stack, and the swarm itself when the engine was in none before the run. The one
exception is the README's stack (test_readme_stack.py), which runs under the README's
own names; it too is removed, with the images it built.
"""

import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest

from docker_cli import DockerError, docker, inspect, wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = REPO_ROOT / "stack"
RUN_ID = f"t{os.getpid()}{secrets.token_hex(2)}"
REPLICAS = 2

_report: list[str] = []


def report(line: str) -> None:
    """Records a measured number; all of them are printed in pytest's summary."""
    _report.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter):
    if _report:
        terminalreporter.section("container suite: measurements")
        for line in _report:
            terminalreporter.write_line(line)


def free_port() -> int:
    """A TCP port free on this machine right now (the stack binds it on all interfaces)."""
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


def cargo_version() -> str:
    for line in (REPO_ROOT / "Cargo.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    raise AssertionError("no version in Cargo.toml")


# Images ############################################################################


@pytest.fixture(scope="session")
def image():
    """The http-echo image, built offline by stack/build-image.sh (the tests' subject)."""
    tag = f"http-echo-test:{RUN_ID}"
    started = time.monotonic()
    result = subprocess.run(
        [str(STACK_DIR / "build-image.sh"), tag], capture_output=True, text=True, timeout=1800
    )
    assert result.returncode == 0, f"offline image build failed:\n{result.stderr[-4000:]}"
    assert result.stdout.strip() == tag
    report(f"image build (offline, incl. static cargo build): {time.monotonic() - started:.1f} s")
    yield tag
    docker("image", "rm", "--force", tag, check=False)


@pytest.fixture(scope="session")
def watcher(image, tmp_path_factory) -> Path:
    """The binary in the image under test, copied out of it: the rollout watcher
    (`http-echo -watch`) that sends the tests' requests through the balancer."""
    binary = tmp_path_factory.mktemp("watcher") / "http-echo"
    created = docker("create", "--label", f"http-echo-test={RUN_ID}", image)
    try:
        docker("cp", f"{created}:/http-echo", str(binary))
    finally:
        docker("rm", created, check=False)
    return binary


@pytest.fixture(scope="session")
def lb_image():
    """The balancer's image, from Debian's haproxy package (no registry here)."""
    tag = f"http-echo-lb-test:{RUN_ID}"
    result = subprocess.run(
        [str(STACK_DIR / "build-lb-image.sh"), tag], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"balancer image build failed:\n{result.stderr[-4000:]}"
    yield tag
    docker("image", "rm", "--force", tag, check=False)


@pytest.fixture
def container(image):
    """Starts containers of the image; removes every one it started at the end."""
    started: list[str] = []

    def run(*args: str) -> str:
        container_id = docker("run", "--detach", "--label", f"http-echo-test={RUN_ID}", *args)
        started.append(container_id)
        return container_id

    yield run
    for container_id in started:
        docker("rm", "--force", container_id, check=False)


def published_port(container_id: str, port: int = 5678) -> int:
    """The 127.0.0.1 port that Docker mapped to the container's port."""
    mapping = docker("port", container_id, f"{port}/tcp")
    return int(mapping.splitlines()[0].rsplit(":", 1)[1])


# The swarm and the stack ###########################################################


@pytest.fixture(scope="session", autouse=True)
def engine_swarm():
    """The engine's swarm state before any test ran; the swarm is left at the end if it
    was inactive then, whoever started it (a fixture, or stack/up.sh as the README runs it)."""
    state = docker("info", "--format", "{{.Swarm.LocalNodeState}}")
    if state not in ("active", "inactive"):
        pytest.fail(f"this engine's swarm is '{state}'; it must be active or inactive")
    # Joining a swarm creates this bridge, and leaving does not remove it.
    had_gateway_bridge = bool(docker("network", "ls", "--quiet", "--filter", "name=^docker_gwbridge$"))
    yield state
    if state == "inactive":
        docker("swarm", "leave", "--force", check=False)
        if not had_gateway_bridge:
            docker("network", "rm", "docker_gwbridge", check=False)


@pytest.fixture(scope="session")
def swarm(engine_swarm):
    """A swarm to deploy into: the one this engine is in, or a one-node swarm of our own."""
    if docker("info", "--format", "{{.Swarm.LocalNodeState}}") == "inactive":
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    if docker("info", "--format", "{{.Swarm.ControlAvailable}}") != "true":
        pytest.fail("this engine is a swarm worker; a stack can only be deployed from a manager")


class Stack:
    """A stack as stack/up.sh deploys it: by default under a name and port unique to this
    run; the README's own stack is `Stack("http-echo", 5678)`."""

    def __init__(self, name: str | None = None, port: int | None = None, images: dict | None = None,
                 lb_image: str | None = None):
        self.name = name or f"echo{RUN_ID}"
        self.app_service = f"{self.name}_app"
        self.port = port or free_port()
        self.images = images or {}
        self.lb_image = lb_image
        self.text = None

    def _environment(self, text: str, image: str) -> dict:
        return {
            **os.environ,
            "STACK_NAME": self.name,
            "APP_IMAGE": image,
            "LB_IMAGE": self.lb_image,
            "ECHO_TEXT": text,
            "PUBLISHED_PORT": str(self.port),
        }

    def deploy(self, text: str, image: str) -> subprocess.CompletedProcess:
        """Runs stack/up.sh with this text and app image, as an operator would."""
        return subprocess.run(
            [str(STACK_DIR / "up.sh")],
            env=self._environment(text, image),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def up(self, text: str) -> float:
        """Deploys a text that has its own image tag in `images`; returns the seconds
        stack/up.sh took, which waits for the rollout to finish."""
        started = time.monotonic()
        result = self.deploy(text, self.images[text])
        assert result.returncode == 0, f"stack/up.sh failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        self.text = text
        return time.monotonic() - started

    def down(self) -> None:
        subprocess.run(
            [str(STACK_DIR / "down.sh")],
            env={**os.environ, "STACK_NAME": self.name},
            capture_output=True,
            timeout=120,
        )

    def app_containers(self, health: str | None = None) -> list[str]:
        """IDs of the app's running containers (only those with that health, if given)."""
        filters = ["--filter", f"label=com.docker.swarm.service.name={self.app_service}"]
        if health:
            filters += ["--filter", f"health={health}"]
        return docker("ps", "--quiet", "--no-trunc", *filters).split()

    def text_of(self, container_id: str) -> str | None:
        env = inspect(container_id).get("Config", {}).get("Env") or []
        return next((e.split("=", 1)[1] for e in env if e.startswith("ECHO_TEXT=")), None)

    def settled(self, text: str, replicas: int = REPLICAS) -> bool:
        """Exactly `replicas` running containers, all healthy, all serving `text`."""
        running = self.app_containers()
        healthy = self.app_containers(health="healthy")
        return (
            len(running) == replicas
            and sorted(running) == sorted(healthy)
            and all(self.text_of(c) == text for c in running)
        )

    def answers(self, count: int = 20) -> list[str]:
        """Bodies of `count` sequential requests to the balancer on 127.0.0.1."""
        import http.client

        bodies = []
        for _ in range(count):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/", headers={"Connection": "close"})
            bodies.append(connection.getresponse().read().decode().strip())
            connection.close()
        return bodies


@pytest.fixture(scope="module")
def stack(swarm, image, lb_image):
    """The stack, deployed with text "v1" from its own tag of the image, and settled;
    removed at the end of the module."""
    tags = {"v1": f"http-echo-test:{RUN_ID}-v1"}
    for tag in tags.values():
        docker("tag", image, tag)
    deployed = Stack(images=tags, lb_image=lb_image)
    try:
        seconds = deployed.up("v1")
        wait_for(lambda: deployed.settled("v1"), 60, f"{REPLICAS} healthy v1 replicas")

        def balancer_answers() -> bool:
            try:
                return set(deployed.answers(4)) == {"v1"}
            except (OSError, DockerError):
                return False

        wait_for(balancer_answers, 30, "the balancer to answer v1")
        report(f"stack start (stack/up.sh until converged and answering): {seconds:.1f} s")
        yield deployed
    finally:
        deployed.down()
        for tag in tags.values():
            docker("image", "rm", tag, check=False)

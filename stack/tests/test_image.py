"""The image: built offline, small, one file, non-root, hardened, healthy, stops cleanly."""

import io
import json
import subprocess
import tarfile
import time

from conftest import REPO_ROOT, cargo_version, published_port, report
from container_http import HARDENED, get, wait_until_answering
from docker_cli import docker, inspect, wait_for

MIB = 1024 * 1024
# The image's size target is under 2 MiB. The static glibc binary does not reach it (how far,
# and why: stack/README.md, "The image"). The budget below guards against growth; lower it to
# 2 MiB once the binary fits. It was raised from 3.5 MiB when the TLS and HTTP/2 crates went
# from opt-level "z" to 3 (about 0.3 MiB for a third fewer instructions per HTTP/2 request;
# Cargo.toml says what each choice was measured to cost and save). The measured size is
# reported on every run.
SIZE_TARGET = 2 * MIB
SIZE_BUDGET = 4 * MIB


def test_image_metadata(image):
    config = inspect(image, "image")["Config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["/http-echo"]
    assert "5678/tcp" in config["ExposedPorts"]
    assert "ECHO_TEXT=hello-world" in config["Env"]
    assert config["Healthcheck"]["Test"] == ["CMD", "/http-echo", "-healthcheck"]
    assert config.get("StopSignal") == "SIGTERM"

    labels = config["Labels"]
    git = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    revision = git.stdout.strip() if git.returncode == 0 else "unknown"
    assert labels["org.opencontainers.image.version"] == cargo_version()
    assert labels["org.opencontainers.image.revision"] == revision
    assert "org.opencontainers.image.source" in labels

    # The binary inside reports the same version and commit as the labels.
    version = docker("run", "--rm", image, "-version")
    assert version.startswith(f"http-echo v{cargo_version()} ({revision})"), version
    report(f"image labels: version={labels['org.opencontainers.image.version']} revision={revision}; -version: {version.splitlines()[0]}")


def test_image_size_within_budget(image):
    size = int(docker("image", "inspect", "--format", "{{.Size}}", image))
    verdict = "met" if size < SIZE_TARGET else "NOT met"
    report(
        f"image size (uncompressed): {size} bytes = {size / MIB:.2f} MiB; "
        f"2 MiB target {verdict}; budget {SIZE_BUDGET / MIB:.1f} MiB"
    )
    assert size < SIZE_BUDGET


def test_image_holds_only_the_binary(image):
    """No shell, no package manager, nothing but /http-echo in any layer."""
    saved = subprocess.run(["docker", "save", image], capture_output=True, timeout=120, check=True).stdout
    files = []
    with tarfile.open(fileobj=io.BytesIO(saved)) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        for layer in manifest[0]["Layers"]:
            with tarfile.open(fileobj=archive.extractfile(layer)) as layer_tar:
                files += [m.name.removeprefix("./") for m in layer_tar.getmembers() if not m.isdir()]
    report(f"files in the image: {files}")
    assert files == ["http-echo"]

    # And so nothing can be run but the binary.
    no_shell = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "true"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert no_shell.returncode != 0
    assert "no such file or directory" in no_shell.stderr.lower() or "not found" in no_shell.stderr.lower()


def test_runs_as_non_root_read_only_without_capabilities(image, container):
    container_id = container(*HARDENED, "--publish", "127.0.0.1::5678", image)
    port = published_port(container_id)
    wait_until_answering(port)

    # A bare run answers with the image's default text, as the upstream image does.
    assert get(port) == (200, "hello-world\n")
    assert get(port, "/health")[0] == 200

    # What the kernel says about PID 1 of the container, not what the image claims.
    pid = inspect(container_id)["State"]["Pid"]
    status = dict(
        line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":" in line
    )
    uids, gids = status["Uid"].split(), status["Gid"].split()
    report(f"container process: uid {uids}, gid {gids}, CapEff {status['CapEff'].strip()}")
    assert set(uids) == {"65532"} and set(gids) == {"65532"}
    assert int(status["CapEff"], 16) == 0


def test_healthcheck_reaches_healthy(image, container):
    container_id = container(*HARDENED, image)

    def health() -> str:
        return inspect(container_id)["State"].get("Health", {}).get("Status", "none")

    seconds = wait_for(lambda: health() == "healthy", 30, "HEALTHCHECK to report healthy")
    log = inspect(container_id)["State"]["Health"]["Log"]
    report(f"HEALTHCHECK healthy after {seconds:.1f} s (interval 5s); last probe exit {log[-1]['ExitCode']}")
    assert log[-1]["ExitCode"] == 0


def test_docker_stop_ends_it_inside_the_grace_period(image, container):
    grace = 10
    for delay in ("0s", "2s"):
        container_id = container(
            *HARDENED, "--env", f"ECHO_SHUTDOWN_DELAY={delay}", "--publish", "127.0.0.1::5678", image
        )
        wait_until_answering(published_port(container_id))
        started = time.monotonic()
        docker("stop", "--time", str(grace), container_id)
        seconds = time.monotonic() - started
        state = inspect(container_id)["State"]
        report(
            f"docker stop (shutdown delay {delay}): exited in {seconds:.2f} s of {grace} s grace, "
            f"exit code {state['ExitCode']}, OOMKilled={state['OOMKilled']}"
        )
        # SIGTERM is handled by the binary itself (exit 2), not SIGKILLed at the end of the grace period (137).
        assert state["ExitCode"] == 2
        expected_delay = int(delay.rstrip("s"))
        assert expected_delay <= seconds < expected_delay + 3

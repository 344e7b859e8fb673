"""A thin wrapper over the docker CLI, so the tests run the same commands as stack/README.md."""

import json
import subprocess
import time


class DockerError(RuntimeError):
    """A docker command exited non-zero; the message carries its arguments and stderr."""


def docker(*args: str, timeout: float = 180, check: bool = True, env: dict | None = None) -> str:
    """Runs `docker ARGS` and returns its stdout, stripped. Raises DockerError on failure."""
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, env=env
    )
    if check and result.returncode != 0:
        raise DockerError(f"docker {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout.strip()


def inspect(name: str, kind: str = "container") -> dict:
    """The JSON of `docker <kind> inspect NAME`, or {} when it does not exist."""
    out = docker(kind, "inspect", name, check=False)
    return json.loads(out)[0] if out.startswith("[") and out != "[]" else {}


def wait_for(condition, timeout: float, what: str, interval: float = 0.2) -> float:
    """Polls condition() until it returns truthy; returns the seconds it took.

    Raises AssertionError naming `what` when the time is up, so a failure says which
    state never arrived.
    """
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)

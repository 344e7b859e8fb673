"""Shared fixtures of the pipeline tests: paths, the workflows, moto_server, and the real
http-echo binary (a server to smoke-test and watch, and the rollout watcher itself).

moto_server is started through scripts/lib/moto.sh (moto_start), the launcher every
offline AWS test uses, inside a helper shell that keeps it running until the fixture
closes that shell's standard input; the launcher's exit trap then stops the server.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINE = REPO_ROOT / "pipeline"
WORKFLOWS = REPO_ROOT / ".github" / "workflows"

# The scripts under test are plain modules in pipeline/, not a package.
sys.path.insert(0, str(PIPELINE))


def load_workflow(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True; give it its name back.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


@pytest.fixture(scope="session")
def workflows() -> dict[str, dict]:
    return {path.name: load_workflow(path) for path in sorted(WORKFLOWS.glob("*.y*ml"))}


@pytest.fixture(scope="session")
def ci(workflows) -> dict:
    return workflows["ci.yml"]


@pytest.fixture(scope="session")
def deploy(workflows) -> dict:
    return workflows["deploy.yml"]


# The variables moto_start exports, which the scripts under test read.
_AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                  "AWS_REGION", "AWS_EC2_METADATA_DISABLED", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
                  "AWS_CA_BUNDLE")


class MotoServer:
    """One moto_server started by moto_start; `env` points AWS clients at it."""

    def __init__(self, extra_env: dict[str, str]):
        script = (
            'source scripts/lib/common.sh && source scripts/lib/moto.sh && moto_start >&2 || exit 1\n'
            + "".join(f'[[ -n "${{{name}:-}}" ]] && printf "%s=%s\\n" {name} "${name}"\n' for name in _AWS_VARIABLES)
            + 'echo READY\n'
            # Keep the server until the test closes our standard input; the trap stops it.
            + 'read -r _ || true\n'
        )
        self._shell = subprocess.Popen(
            ["bash", "-c", script], cwd=REPO_ROOT, env={**os.environ, **extra_env},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.env: dict[str, str] = {}
        for line in self._shell.stdout:
            line = line.rstrip("\n")
            if line == "READY":
                break
            name, _, value = line.partition("=")
            self.env[name] = value
        else:
            self._shell.wait(timeout=10)
            raise RuntimeError(f"moto_start failed (exit {self._shell.returncode}); see its messages above")
        self.endpoint = self.env["AWS_ENDPOINT_URL"]

    def environment(self, **extra: str) -> dict[str, str]:
        """This process's environment pointed at this server: no AWS setting of the host
        (a profile, a session token) survives."""
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        return {**inherited, **self.env, **extra}

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.env["AWS_DEFAULT_REGION"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def reset(self) -> None:
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"), timeout=10)

    def stop(self) -> None:
        self._shell.stdin.close()
        self._shell.wait(timeout=30)


def initial_task_count() -> str:
    """desired_count of the dev environment (its terraform.tfvars)."""
    tfvars = (REPO_ROOT / "infra" / "envs" / "dev" / "terraform.tfvars").read_text(encoding="utf-8")
    match = re.search(r"^desired_count\s*=\s*(\d+)", tfvars, re.MULTILINE)
    return match.group(1) if match else "2"  # the root's default


# Images whose reference contains this are rolled back by the test's moto_server.
ROLLED_BACK = "rolled-back"


def alarm_share() -> str:
    """The 5xx alarm's threshold as a share of requests (the service module's default
    target_5xx_percent): the test's moto_server rolls back a release whose tasks fail a
    larger share of their answers (ECHO_ERROR_RATE), as the alarm does on ECS."""
    variables = (REPO_ROOT / "infra" / "modules" / "service" / "variables.tf").read_text(encoding="utf-8")
    percent = re.search(r"^\s*target_5xx_percent\s*=\s*optional\(number,\s*([\d.]+)\)", variables, re.MULTILINE)
    assert percent, "no default target_5xx_percent in the service module"
    return f"{float(percent.group(1)) / 100:g}"


@pytest.fixture(scope="session")
def moto():
    """moto_server whose new ECS services run their desired tasks at once (stable)."""
    # moto reads this when a service is created: that many tasks "run" at once, and
    # the rollout is COMPLETED when they are at least the desired count. It must be
    # exactly that count: Terraform's wait for steady state wants running == desired.
    server = MotoServer({"MOTO_ECS_SERVICE_RUNNING": initial_task_count(),
                         # An image whose reference holds this text is rolled back (scripts/moto/server.py),
                         "MOTO_ECS_ROLLBACK_IMAGES_CONTAINING": ROLLED_BACK,
                         # and so is a release that fails more answers than the 5xx alarm allows.
                         "MOTO_ECS_ROLLBACK_ERROR_RATE_ABOVE": alarm_share()})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def terraform_env() -> dict[str, str]:
    """What scripts/lib/terraform.sh (terraform_setup) exports: providers from the local
    mirror when there is one, so that no test ever asks the registry."""
    script = ("source scripts/lib/common.sh && source scripts/lib/terraform.sh && terraform_setup || exit 1\n"
              "for name in TF_CLI_CONFIG_FILE TF_IN_AUTOMATION TF_INPUT CHECKPOINT_DISABLE; do\n"
              '  [[ -n "${!name:-}" ]] && printf "%s=%s\\n" "$name" "${!name}"\n'
              "done; true\n")
    result = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"terraform_setup failed (is terraform installed?): {result.stderr}"
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def free_port() -> int:
    """A port nobody listens on right now (bound and released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def http_echo_binary() -> Path:
    """The http-echo binary, as a server and as the rollout watcher (-watch)."""
    # The debug build the Rust suite's tests use too: quick when that ran first.
    build = subprocess.run(["cargo", "build", "--locked", "--quiet", "--bin", "http-echo"], cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, f"cargo build failed:\n{build.stderr[-3000:]}"
    return REPO_ROOT / "target" / "debug" / "http-echo"


class HttpEcho:
    """The real server on a free loopback port, its access log in a file."""

    def __init__(self, binary: Path, log_file: Path, *flags: str):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_file = log_file
        with open(log_file, "wb") as log:
            self.process = subprocess.Popen([str(binary), "-listen", f"127.0.0.1:{port}", *flags],
                                            stdout=log, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError(f"http-echo did not start: {self.process.stderr.read().decode(errors='replace')}")
                time.sleep(0.05)

    def requests_served(self) -> int:
        """Requests in its access log (/health is not logged); the log is written every 10 ms."""
        return len(self.log_file.read_bytes().splitlines())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stderr.close()

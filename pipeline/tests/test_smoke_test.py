"""The deploy's smoke test, against the real http-echo binary on 127.0.0.1, and against
what it must not mistake for it: a closed port, and another web server."""

import http.server
import subprocess
import threading
import time

import pytest
import smoke_test
from conftest import HttpEcho, free_port


@pytest.fixture
def http_echo(http_echo_binary, tmp_path):
    """The real server on a free loopback port; its base URL."""
    server = HttpEcho(http_echo_binary, tmp_path / "access.log", "-text", "smoke")
    yield server.url
    server.stop()


@pytest.fixture
def other_server(tmp_path):
    """Python's file server on a free loopback port: answers, but is not http-echo."""
    (tmp_path / "index.html").write_text("<p>default page</p>")
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(*args, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_passes_against_http_echo(http_echo):
    lines = []
    smoke_test.check(http_echo + "/", attempts=1, log=lines.append)
    assert lines == [f"smoke test passed: {http_echo} answers as http-echo"]


def test_fails_on_a_closed_port_after_its_attempts():
    url = f"http://127.0.0.1:{free_port()}"
    lines = []
    started = time.monotonic()
    with pytest.raises(smoke_test.SmokeTestFailed, match="after 3 attempts") as failed:
        smoke_test.check(url, attempts=3, delay=0.1, timeout=1, log=lines.append)
    assert len(lines) == 3 and time.monotonic() - started < 5
    assert "refused" in str(failed.value).lower()


def test_fails_on_another_server(other_server):
    with pytest.raises(smoke_test.SmokeTestFailed, match="GET /health answered 404"):
        smoke_test.check(other_server, attempts=2, delay=0.05)


def test_retries_until_the_server_answers(http_echo_binary):
    # The load balancer may need a few seconds to send traffic to new tasks.
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    starter = threading.Timer(0.5, lambda: holder.append(subprocess.Popen(
        [str(http_echo_binary), "-listen", f"127.0.0.1:{port}", "-text", "late"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    holder = []
    starter.start()
    try:
        lines = []
        smoke_test.check(url, attempts=40, delay=0.1, timeout=1, log=lines.append)
        assert lines[-1].startswith("smoke test passed") and len(lines) > 1
    finally:
        starter.join()
        for server in holder:
            server.terminate()
            server.wait(timeout=10)

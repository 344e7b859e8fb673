"""Requests in flight when `docker stop` hits a container complete before it exits.

An echo answer takes microseconds, so a request is held in flight on purpose: its
head and half its body are sent before the stop, the rest after the container has
received SIGTERM and begun to drain. No shutdown delay here, so the drain starts at
once: this is the drain itself, not the delay in front of it.
"""

import select
import socket
import threading
import time

from conftest import published_port, report
from docker_cli import docker, inspect
from container_http import HARDENED, wait_until_answering

IN_FLIGHT = 5
GRACE_SECONDS = 10
BODY = b"0123456789"


def read_response(connection: socket.socket) -> bytes:
    connection.settimeout(5)
    data = b""
    while True:
        chunk = connection.recv(4096)
        if not chunk:
            return data
        data += chunk


def test_requests_in_flight_complete_on_docker_stop(image, container):
    container_id = container(
        *HARDENED, "--env", "ECHO_TEXT=drained", "--env", "ECHO_SHUTDOWN_DELAY=0s",
        "--publish", "127.0.0.1::5678", image,
    )
    port = published_port(container_id)
    wait_until_answering(port)

    connections = []
    for _ in range(IN_FLIGHT):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[:5]
        )
        connections.append(connection)
    time.sleep(0.5)
    # In flight: the server has the request but cannot have finished it.
    readable, _, _ = select.select(connections, [], [], 0.2)
    assert not readable, "the server answered before the request body was complete"

    stop_seconds = {}

    def stop() -> None:
        started = time.monotonic()
        docker("stop", "--time", str(GRACE_SECONDS), container_id)
        stop_seconds["value"] = time.monotonic() - started

    stopper = threading.Thread(target=stop)
    stopper.start()
    time.sleep(1)
    assert inspect(container_id)["State"]["Running"], "the container exited with requests in flight"

    for connection in connections:
        connection.sendall(BODY[5:])
    answers = [read_response(connection) for connection in connections]
    for connection in connections:
        connection.close()
    stopper.join(timeout=GRACE_SECONDS + 5)

    completed = [a for a in answers if a.startswith(b"HTTP/1.1 200 ") and a.endswith(b"\r\n\r\ndrained\n")]
    exit_code = inspect(container_id)["State"]["ExitCode"]
    report(
        f"drain: {len(completed)} of {IN_FLIGHT} requests in flight at docker stop completed; "
        f"container exited {exit_code} after {stop_seconds.get('value', float('nan')):.2f} s of {GRACE_SECONDS} s grace"
    )
    assert len(completed) == IN_FLIGHT, answers
    assert exit_code == 2
    assert stop_seconds["value"] < GRACE_SECONDS - 2

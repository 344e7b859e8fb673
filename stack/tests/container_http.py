"""HTTP to one container through its port published on 127.0.0.1, and how we run it."""

import http.client

from docker_cli import wait_for

# Hardened as the task definition runs it: no writable root, no capabilities.
HARDENED = ("--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges")


def get(port: int, path: str = "/") -> tuple[int, str]:
    """Status and body of one GET on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def wait_until_answering(port: int, timeout: float = 15) -> None:
    def answers() -> bool:
        try:
            return get(port, "/health")[0] == 200
        except (OSError, http.client.HTTPException):
            return False

    wait_for(answers, timeout, "the container to answer on 127.0.0.1")

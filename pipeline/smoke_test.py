"""Smoke test of a deployed http-echo: does the environment's URL answer as our server?

Two requests per attempt: GET /health must answer 200 {"status":"ok"}, and GET / must
come from http-echo (the X-App-Name header) rather than from a default page of the load
balancer. A fresh deployment can take a few seconds to reach every load balancer node,
so the check retries, a bounded number of times.
"""

import json
import time
import urllib.error
import urllib.request

APP_NAME = "http-echo"


class SmokeTestFailed(RuntimeError):
    """The URL never answered as http-echo; the message says what it answered last."""


def _get(url: str, timeout: float) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "pipeline-smoke-test"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read(4096)
    except urllib.error.HTTPError as error:
        # A non-2xx answer is still an answer: the checks below judge it.
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read(4096)


def _problem(base_url: str, timeout: float) -> str | None:
    """What is wrong with the service at base_url right now, or None."""
    try:
        status, headers, body = _get(f"{base_url}/health", timeout)
    except (urllib.error.URLError, OSError) as error:
        return f"GET /health: {getattr(error, 'reason', error)}"
    if status != 200:
        return f"GET /health answered {status}"
    if headers.get("x-app-name") != APP_NAME:
        return f"GET /health came from {headers.get('x-app-name', 'something without an X-App-Name header')}, not {APP_NAME}"
    try:
        health = json.loads(body)
    except ValueError:
        health = None
    if health != {"status": "ok"}:
        return f"GET /health answered {body[:200]!r}, not {{\"status\":\"ok\"}}"
    try:
        _, headers, _ = _get(f"{base_url}/", timeout)
    except (urllib.error.URLError, OSError) as error:
        return f"GET /: {getattr(error, 'reason', error)}"
    if headers.get("x-app-name") != APP_NAME:
        return f"GET / did not come from {APP_NAME}"
    return None


def check(url: str, attempts: int = 10, delay: float = 6.0, timeout: float = 5.0, log=print) -> None:
    """Return when `url` answers as http-echo; raise SmokeTestFailed after `attempts` tries."""
    base_url = url.rstrip("/")
    problem = "not tried"
    for attempt in range(1, attempts + 1):
        problem = _problem(base_url, timeout)
        if problem is None:
            log(f"smoke test passed: {base_url} answers as {APP_NAME}")
            return
        log(f"smoke test attempt {attempt}/{attempts}: {problem}")
        if attempt < attempts:
            time.sleep(delay)
    raise SmokeTestFailed(f"{base_url} did not answer as {APP_NAME} after {attempts} attempts: {problem}")

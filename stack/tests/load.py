"""Steady, bounded HTTP load on 127.0.0.1, recording the outcome of every request.

Two kinds of client run side by side, as browsers and services do behind an ALB:
workers that open a new connection for every request, and workers that keep one
connection alive and reuse it until the server closes it. Nothing is retried: a
request that fails counts as failed.

Every loop is bounded twice: by a request count per worker and by a deadline. The
load stops by itself at whichever comes first, or at stop().
"""

import http.client
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One request: when it started and ended (time.monotonic()), and what came back."""

    started: float
    finished: float
    ok: bool
    body: str | None
    error: str | None
    # True when the request went over a connection that had already carried one.
    reused_connection: bool


class Load:
    """Runs the workers in threads; use as a context manager."""

    def __init__(
        self,
        port: int,
        new_connection_workers: int = 2,
        keep_alive_workers: int = 2,
        pause: float = 0.02,
        max_seconds: float = 120,
        max_requests_per_worker: int = 6000,
        request_timeout: float = 5,
    ):
        self.port = port
        self.pause = pause
        self.deadline = time.monotonic() + max_seconds
        self.max_requests = max_requests_per_worker
        self.request_timeout = request_timeout
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._outcomes: list[Outcome] = []
        self._threads = [
            threading.Thread(target=self._new_connection_worker, daemon=True)
            for _ in range(new_connection_workers)
        ] + [
            threading.Thread(target=self._keep_alive_worker, daemon=True)
            for _ in range(keep_alive_workers)
        ]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.request_timeout + 5)

    def outcomes(self) -> list[Outcome]:
        with self._lock:
            return list(self._outcomes)

    def wait_for_requests(self, count: int, timeout: float = 30) -> None:
        """Blocks until at least `count` more requests have finished."""
        target = len(self.outcomes()) + count
        end = time.monotonic() + timeout
        while len(self.outcomes()) < target:
            if time.monotonic() > end or self._stop.is_set():
                raise AssertionError(f"the load made fewer than {count} requests in {timeout} s")
            time.sleep(0.05)

    def _running(self, done: int) -> bool:
        return not self._stop.is_set() and done < self.max_requests and time.monotonic() < self.deadline

    def _record(self, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)

    def _new_connection_worker(self) -> None:
        done = 0
        while self._running(done):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.request_timeout)
            self._record(self._request(connection, {"Connection": "close"}, reused=False))
            connection.close()
            done += 1
            time.sleep(self.pause)

    def _keep_alive_worker(self) -> None:
        done = 0
        connection = None
        requests_on_connection = 0
        while self._running(done):
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.request_timeout)
                requests_on_connection = 0
            outcome = self._request(connection, {}, reused=requests_on_connection > 0)
            self._record(outcome)
            requests_on_connection += 1
            # http.client closes the socket itself when the answer said
            # Connection: close; a failed connection is not reused either.
            if not outcome.ok or connection.sock is None:
                connection.close()
                connection = None
            done += 1
            time.sleep(self.pause)
        if connection is not None:
            connection.close()

    @staticmethod
    def _request(connection: http.client.HTTPConnection, headers: dict, reused: bool) -> Outcome:
        started = time.monotonic()
        try:
            connection.request("GET", "/", headers=headers)
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            ok = response.status == 200
            error = None if ok else f"status {response.status}"
        except (OSError, http.client.HTTPException) as exc:
            body, ok, error = None, False, f"{type(exc).__name__}: {exc}"
        return Outcome(started, time.monotonic(), ok, body, error, reused)


def overlapping(outcomes: list[Outcome], start: float, end: float) -> list[Outcome]:
    """The requests that were in flight at some moment between start and end."""
    return [o for o in outcomes if o.started <= end and o.finished >= start]


def summary(outcomes: list[Outcome]) -> str:
    """A one-line account: totals, failures, answers by body, connection reuse."""
    bodies: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.ok:
            key = (outcome.body or "").strip()
            bodies[key] = bodies.get(key, 0) + 1
    failed = sum(not o.ok for o in outcomes)
    reused = sum(o.reused_connection for o in outcomes)
    answers = ", ".join(f'"{body}": {count}' for body, count in sorted(bodies.items()))
    return f"{len(outcomes)} requests, {failed} failed, {reused} on reused connections; answers {{{answers}}}"

"""The rollout watcher, `http-echo -watch`, sending to the stack's balancer on 127.0.0.1:
the client that watches every production rollout (pipeline/deploy.py) watches the
stack's rolls, kills and stops too.

It sends GET requests at a fixed rate, alternating a new connection each and a kept-alive
one, retries nothing, and says at the end, in its JSON summary, what failed, how, and
which texts answered when (the main README, "The rollout watcher"). Each watch is
bounded by -watch-duration (so, with the rate, in requests too); a test ends it sooner
with SIGTERM, which makes the watcher write its summary.
"""

import json
import re
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

# Requests per second: dense enough that a gap of a few hundred milliseconds in the
# balancer's answers cannot slip between two requests.
RATE = 100
# What the watcher prints once it is about to send, its signal handlers in place.
STARTED = "] watching "
NEW_ANSWER = re.compile(r'\] watch [\d.]+s: new answer: version \S+, text "(.*)"$')


class Watch:
    """One watch of http://127.0.0.1:PORT/, as a context manager; `summary` after it."""

    def __init__(self, binary: Path, port: int, max_seconds: float = 150, rate: int = RATE):
        self.command = [str(binary), f"-watch=http://127.0.0.1:{port}/", f"-watch-rate={rate}",
                        f"-watch-duration={max_seconds:g}s"]
        self.max_seconds = max_seconds
        self.summary: dict | None = None
        self._texts: list[str] = []
        self._answered = threading.Condition()

    def __enter__(self) -> "Watch":
        # The summary goes to a file: nothing reads stdout before the end.
        self._stdout = tempfile.TemporaryFile()
        self._process = subprocess.Popen(self.command, stdout=self._stdout, stderr=subprocess.PIPE, text=True,
                                         errors="replace")
        for line in self._process.stderr:
            print(line, end="")
            if STARTED in line:
                break
        else:
            raise AssertionError(f"the watcher did not start: exit {self._process.wait()}")
        # The watcher's own clock starts here; its `*_s` times count from (about) now.
        self.started = time.monotonic()
        threading.Thread(target=self._read_progress, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.summary is None:
            self.stop()

    def _read_progress(self) -> None:
        for line in self._process.stderr:
            # Shown by pytest when a test fails: the watcher's own account, as it went.
            print(line, end="")
            answer = NEW_ANSWER.search(line.rstrip("\n"))
            if answer:
                with self._answered:
                    self._texts.append(answer.group(1))
                    self._answered.notify_all()

    def seconds(self) -> float:
        """Now, in the watcher's time (seconds since it started)."""
        return time.monotonic() - self.started

    def wait_for_answer(self, text: str, timeout: float = 30) -> None:
        """Blocks until the balancer has answered the watcher with `text`."""
        with self._answered:
            if not self._answered.wait_for(lambda: text in self._texts, timeout):
                raise AssertionError(f"the watcher got no answer {text!r} in {timeout:.0f} s (got {self._texts})")

    def keep_sending(self, seconds: float) -> None:
        """Lets the watcher send for `seconds` more: at its fixed rate, that many
        requests (RATE a second) go through the balancer meanwhile."""
        time.sleep(seconds)

    def stop(self) -> dict:
        """SIGTERM; the watcher waits for the answers still out, then writes its summary."""
        if self._process.poll() is not None:
            raise AssertionError(f"the watch ended at its limit of {self.max_seconds:g} s before the test ended it")
        self._process.send_signal(signal.SIGTERM)
        self._process.wait(timeout=30)
        self._stdout.seek(0)
        lines = self._stdout.read().decode().strip().splitlines()
        self._stdout.close()
        assert lines, f"the watcher (exit {self._process.returncode}) wrote no summary"
        self.summary = json.loads(lines[-1])
        assert self._process.returncode == (1 if self.summary["failed"] else 0), self.summary
        return self.summary


def failures(summary: dict) -> str:
    """The failures, for an assertion's message: the counts by kind and the first few."""
    return json.dumps({"failures": summary["failures"], "first_failures": summary["first_failures"]})


def texts(summary: dict) -> list[str]:
    """The texts that answered, in the order they first did."""
    return [version["text"] for version in summary["versions"]]


def describe(summary: dict) -> str:
    """A one-line account for the measurements: totals, failures, connections, answers."""
    answers = ", ".join(f'"{v["text"]}": {v["requests"]} ({v["first_s"]:.1f}-{v["last_s"]:.1f} s)'
                        for v in summary["versions"])
    latency = summary["latency_ms"]
    return (f"{summary['requests']} requests in {summary['duration_s']:.1f} s, {summary['failed']} failed, "
            f"{summary['connections']['reused']} on reused connections; p99 {latency['p99']} ms, "
            f"max {latency['max']} ms; answers {{{answers}}}")

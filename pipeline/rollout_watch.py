"""Watch a rollout from a client's side with http-echo's own watcher, `http-echo -watch=URL`.

deploy.py starts the watcher against the environment's URL before Terraform changes the
service and stops it (SIGTERM) once ECS reports the service steady on the new revision.
The watcher then writes its summary, one line of JSON on stdout (the fields are in the
main README, "The rollout watcher"); this module reads it, judges it, and renders it for
the log and the job summary. Its progress lines (stderr) go to the deploy's log as they
come.

The watcher is any http-echo binary: the deploy workflow takes the static one CI built
and tested. Where it runs decides what it sees: from a CI runner, the environment's
public URL, as one client on the internet would.
"""

import html
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading

# The line the watcher prints once its signal handlers are in place, just before its
# first request: from then on SIGTERM ends it with a summary rather than killing it.
STARTED = "] watching "
# After SIGTERM the watcher waits for the requests still out, at most its -watch-timeout
# (5 s) and a second's grace; this bounds a watcher that hangs all the same.
STOP_TIMEOUT_SECONDS = 30
# The summary's fields read here (it has them all, always).
FIELDS = ("url", "duration_s", "rate", "expect_status", "requests", "failed", "failures", "connections",
          "latency_ms", "versions", "served_by", "unlisted", "first_failures")


# What the watcher's environment never holds: the deploy job's AWS credentials and
# region settings, GitHub's tokens, and what mints an OIDC token for a role. The
# watcher only sends HTTP requests to the URL; a binary that does more cannot reach
# AWS or GitHub with the job's identity.
SECRET_PREFIXES = ("AWS_", "ACTIONS_ID_TOKEN_REQUEST_", "ACTIONS_RUNTIME_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")


def watcher_environment(environment: dict[str, str]) -> dict[str, str]:
    """The deploy's environment without credentials (SECRET_PREFIXES)."""
    return {name: value for name, value in environment.items() if not name.upper().startswith(SECRET_PREFIXES)}


class WatchFailed(RuntimeError):
    """The watcher could not start, or ended without a summary; the message says why."""


class Watcher:
    """One `http-echo -watch=URL` process: start() it, stop() it for its summary."""

    def __init__(self, binary: str, url: str):
        self.binary = binary
        self.url = url
        self._process: subprocess.Popen | None = None
        self._stdout = None
        self._forwarder: threading.Thread | None = None

    def start(self) -> None:
        """Returns once the watcher is sending; raises WatchFailed if it stopped instead."""
        # A file, not a pipe: nothing reads stdout until the end, and a long summary
        # must not fill a pipe's buffer and block the watcher.
        self._stdout = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                [self.binary, f"-watch={self.url}"], stdin=subprocess.DEVNULL, stdout=self._stdout,
                stderr=subprocess.PIPE, text=True, errors="replace", env=watcher_environment(dict(os.environ)),
            )
        except OSError as error:
            raise WatchFailed(f"cannot run the watcher {self.binary}: {error.strerror or error}") from None
        for line in self._process.stderr:
            _forward(line)
            if STARTED in line:
                break
        else:
            code = self._process.wait()
            raise WatchFailed(f"the watcher {self.binary} did not start watching {self.url} "
                              f"(exit {code}; its message is above)")
        self._forwarder = threading.Thread(target=self._forward_the_rest, name="watch-log", daemon=True)
        self._forwarder.start()

    def _forward_the_rest(self) -> None:
        for line in self._process.stderr:
            _forward(line)

    def stop(self) -> dict:
        """SIGTERM, then the summary; raises WatchFailed when there is none to read."""
        ended_by_itself = self._process.poll() is not None
        if not ended_by_itself:
            self._process.send_signal(signal.SIGTERM)
        try:
            code = self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise WatchFailed(f"the watcher did not end within {STOP_TIMEOUT_SECONDS} s of SIGTERM; "
                              "killed, no summary") from None
        self._forwarder.join(timeout=5)
        self._stdout.seek(0)
        output = self._stdout.read().decode("utf-8", "replace")
        self._stdout.close()
        if ended_by_itself:
            raise WatchFailed(f"the watcher ended by itself (exit {code}) before the rollout did")
        lines = output.strip().splitlines()
        try:
            summary = json.loads(lines[-1])
        except (IndexError, ValueError):
            raise WatchFailed(f"the watcher ended (exit {code}) without a summary") from None
        if code not in (0, 1):
            raise WatchFailed(f"the watcher ended with exit {code}, which no watch gives")
        if not isinstance(summary, dict) or any(field not in summary for field in FIELDS):
            raise WatchFailed(f"the watcher's summary lacks fields of {', '.join(FIELDS)}: {output.strip()[:500]}")
        # Its exit code is its verdict too: 0 exactly when nothing failed.
        if (code == 0) != (problem(summary) is None):
            raise WatchFailed(f"the watcher's exit {code} disagrees with its summary: {output.strip()[:500]}")
        return summary


def _forward(line: str) -> None:
    sys.stderr.write(line)
    sys.stderr.flush()


# Reading the summary #################################################################
# Every field is always there (the watcher's contract, in the main README).


def failure_counts(summary: dict) -> list[tuple[str, int]]:
    """Each kind of failure that happened, with its count: ("refused", 3), ("status 503", 12)."""
    counts = []
    for kind, value in summary["failures"].items():
        if isinstance(value, dict):
            label = kind.removesuffix("_5xx").replace("_", " ")
            counts += [(f"{label} {status}", n) for status, n in value.items() if n]
        elif value:
            counts.append((kind.replace("_", " "), value))
    return counts


def problem(summary: dict) -> str | None:
    """None when every request the watch sent was answered as expected; else why not."""
    requests, failed = summary["requests"], summary["failed"]
    if requests == 0:
        return f"the watch of {summary['url']} sent no request"
    if failed == 0:
        return None
    kinds = ", ".join(f"{kind} {count}" for kind, count in failure_counts(summary))
    return f"{failed} of {requests} requests to {summary['url']} failed during the rollout ({kinds})"


# What the rehearsal's release answers on purpose (-error-rate): 503, from http-echo.
REHEARSED_STATUS = "503"


def rehearsal_problem(summary: dict) -> str | None:
    """For a rehearsal of a rollback, whose new release fails a share of its answers on
    purpose: None when the watch met those failures, and only those: 503 answers from
    http-echo itself (they carry its X-App-Version, which the load balancer's own 503
    lacks). Any other failure is one the rollout or the rollback caused, and no 503 at
    all means the rehearsal's tasks never answered, so their 5xx cannot have been what
    rolled them back."""
    requests, url = summary["requests"], summary["url"]
    if requests == 0:
        return f"the watch of {url} sent no request"
    injected = summary["failures"]["status_5xx"].get(REHEARSED_STATUS, 0)
    others = [(kind, count) for kind, count in failure_counts(summary) if kind != f"status {REHEARSED_STATUS}"]
    if others:
        kinds = ", ".join(f"{kind} {count}" for kind, count in others)
        return (f"{sum(count for _, count in others)} of {requests} requests to {url} failed otherwise than with "
                f"the rehearsal's {REHEARSED_STATUS} ({kinds}): the rollout or the rollback dropped them")
    if injected == 0:
        return (f"none of the {requests} requests to {url} met the rehearsal's {REHEARSED_STATUS}: its tasks never "
                "answered, so their 5xx did not roll them back")
    from_the_server = sum(entry["failed"] for entry in summary["versions"] if entry["app_version"] is not None)
    if from_the_server < injected and not summary["unlisted"]["versions"]:
        return (f"{injected - from_the_server} of the {injected} answers {REHEARSED_STATUS} to {url} did not come "
                "from http-echo (no X-App-Version): the load balancer found no target to send them to")
    return None


def _seconds(value: float) -> str:
    return f"{value:.1f}"


def _version_label(entry: dict) -> str:
    version = entry["app_version"]
    return f"\"{entry['text']}\" ({'version ' + version if version else 'no X-App-Version'})"


def _seen(entry: dict) -> str:
    """When a version or replica answered first and last, and how often."""
    failed = f", {entry['failed']:,} failed" if entry["failed"] else ""
    return f"{_seconds(entry['first_s'])}–{_seconds(entry['last_s'])} s, {entry['requests']:,} answers{failed}"


def one_line(summary: dict) -> str:
    """For the log: the totals and what answered when."""
    versions = "; ".join(f"{_version_label(v)} {_seen(v)}" for v in summary["versions"]) or "none"
    return (f"{summary['requests']:,} requests, {summary['failed']:,} failed in "
            f"{_seconds(summary['duration_s'])} s; answers: {versions}")


# The job summary #####################################################################


def _cell(text: str) -> str:
    """Text from an answer, safe in a Markdown table cell: no markup, no column break."""
    # < > & become entities below; the rest is Markdown's.
    for special in "\\`*_[]|#~":
        text = text.replace(special, "\\" + special)
    return html.escape(text, quote=False).replace("\n", " ")


def _seen_list(entries: list[dict], name, unlisted: int, what: str, none: str) -> str:
    """One table cell: each entry on its own line, with when it answered."""
    lines = [f"{_cell(name(entry))}: {_seen(entry)}" for entry in entries]
    if unlisted:
        lines.append(f"and {unlisted:,} answers of further {what}")
    return "<br>".join(lines) or none


def markdown(summary: dict, heading: str, span: str) -> str:
    """The watch as the job summary shows it: one table of requests, failures, the
    versions over time and the replicas that answered; then what failed, if anything.
    `span` says from when to when it watched ("until the deploy failed")."""
    versions = _seen_list(summary["versions"], _version_label, summary["unlisted"]["versions"], "versions",
                          "no answer")
    replicas = _seen_list(summary["served_by"], lambda replica: replica["served_by"],
                          summary["unlisted"]["served_by"], "replicas", "not named (no answer carried X-Served-By)")
    latency = " / ".join("–" if summary["latency_ms"][key] is None else f"{summary['latency_ms'][key]:.1f}"
                         for key in ("p50", "p99", "max"))
    connections = summary["connections"]
    lines = [
        f"### {heading}",
        "",
        f"`http-echo -watch` sent GET {_cell(summary['url'])} at {summary['rate']} requests/s for "
        f"{_seconds(summary['duration_s'])} s from where the deploy ran ({connections['new']:,} on new "
        f"connections, {connections['reused']:,} on kept-alive ones), {span}. "
        f"Success: status {_cell(summary['expect_status'])}. Latency p50 / p99 / max: {latency} ms.",
        "",
        "| requests | failed | versions over time | replicas |",
        "| ---: | ---: | --- | --- |",
        f"| {summary['requests']:,} | {summary['failed']:,} | {versions} | {replicas} |",
        "",
    ]
    counts = failure_counts(summary)
    if counts:
        lines += ["| failure | requests |", "| --- | ---: |"]
        lines += [f"| {_cell(kind)} | {count:,} |" for kind, count in counts]
        lines += ["", "First failures:", ""]
        lines += [f"- {_seconds(failure['at_s'])} s, {failure['kind'].replace('_', ' ')} on a "
                  f"{failure['connection']} connection: {_cell(failure['detail'])}"
                  for failure in summary["first_failures"]]
        lines.append("")
    return "\n".join(lines) + "\n"

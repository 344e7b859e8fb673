"""rollout_watch.py with the real watcher (`http-echo -watch`) on 127.0.0.1: started,
stopped by SIGTERM, its summary read, judged and rendered for the job summary.

The rendering of versions over time and of replicas is checked on a summary the real
watcher wrote about a small Python server that answers as a load balancer in front of
replicas of two versions would (X-App-Version, X-Served-By, the text changing half-way):
no load balancer runs here.

A rehearsal of a rollback is judged on what the real watcher saw of real servers: one
failing half its answers as the rehearsal's tasks do, one answering, one failing
otherwise, and a Python server answering 503 as a load balancer without targets does.
"""

import contextlib
import http.server
import re
import threading
import time

import pytest
import rollout_watch
from conftest import HttpEcho, free_port


@pytest.fixture
def live(http_echo_binary, tmp_path):
    server = HttpEcho(http_echo_binary, tmp_path / "access.log", "-text", "v1")
    yield server
    server.stop()


def watched(binary, url: str, seconds: float) -> dict:
    watcher = rollout_watch.Watcher(str(binary), url)
    watcher.start()
    time.sleep(seconds)
    return watcher.stop()


def test_a_clean_watch_is_started_stopped_and_judged(http_echo_binary, live):
    summary = watched(http_echo_binary, live.url, 1.0)
    assert summary["requests"] >= 10 and summary["failed"] == 0, summary
    assert rollout_watch.problem(summary) is None
    # Stopped: the server saw every request, and no more come.
    time.sleep(0.3)
    assert live.requests_served() == summary["requests"]
    time.sleep(0.3)
    assert live.requests_served() == summary["requests"]
    assert [v["text"] for v in summary["versions"]] == ["v1"] and summary["versions"][0]["app_version"]


def test_failures_are_judged_and_listed(http_echo_binary, tmp_path):
    server = HttpEcho(http_echo_binary, tmp_path / "access.log", "-text", "down", "-status-code", "503")
    try:
        summary = watched(http_echo_binary, server.url, 0.5)
    finally:
        server.stop()
    requests = summary["requests"]
    assert requests > 0 and summary["failed"] == requests
    assert rollout_watch.problem(summary) == (
        f"{requests} of {requests} requests to {server.url}/ failed during the rollout (status 503 {requests})")
    shown = rollout_watch.markdown(summary, "Rollout to dev, watched", "until the deploy failed")
    assert f"| status 503 | {requests:,} |" in shown
    assert "- 0.0 s, status 5xx on a new connection: " in shown


def test_a_closed_port_is_refused(http_echo_binary):
    url = f"http://127.0.0.1:{free_port()}"
    summary = watched(http_echo_binary, url, 0.3)
    assert summary["failures"]["refused"] == summary["requests"] > 0
    assert "(refused " in rollout_watch.problem(summary)


def test_a_program_that_is_no_watcher_does_not_start(tmp_path):
    # Upstream's http-echo, say, which has no -watch: it exits at once.
    not_a_watcher = tmp_path / "http-echo"
    not_a_watcher.write_text("#!/bin/sh\necho 'flag provided but not defined: -watch' >&2\nexit 2\n")
    not_a_watcher.chmod(0o755)
    watcher = rollout_watch.Watcher(str(not_a_watcher), "http://127.0.0.1:9/")
    with pytest.raises(rollout_watch.WatchFailed, match=r"did not start watching http://127\.0\.0\.1:9/ \(exit 2"):
        watcher.start()


def test_the_watcher_gets_no_credentials(tmp_path, monkeypatch):
    # The deploy job's AWS credentials and GitHub's tokens are in deploy.py's
    # environment; the watcher binary sees none of them.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.setenv(name, "secret-" + name)
    monkeypatch.setenv("HTTP_ECHO_WATCH_MARKER", "kept")
    dump = tmp_path / "environment"
    spy = tmp_path / "http-echo"
    spy.write_text(f"#!/bin/sh\nenv > '{dump}'\necho 'no -watch here' >&2\nexit 2\n")
    spy.chmod(0o755)
    with pytest.raises(rollout_watch.WatchFailed):
        rollout_watch.Watcher(str(spy), "http://127.0.0.1:9/").start()
    seen = dump.read_text()
    assert "HTTP_ECHO_WATCH_MARKER=kept" in seen, "the spy did not run"
    assert "secret-" not in seen, seen


def test_a_missing_binary_is_one_line(tmp_path):
    with pytest.raises(rollout_watch.WatchFailed, match="cannot run the watcher .*No such file"):
        rollout_watch.Watcher(str(tmp_path / "absent"), "http://127.0.0.1:9/").start()


def test_a_watcher_that_dies_has_no_summary(http_echo_binary, live):
    watcher = rollout_watch.Watcher(str(http_echo_binary), live.url)
    watcher.start()
    watcher._process.kill()
    watcher._process.wait()
    with pytest.raises(rollout_watch.WatchFailed, match=r"ended by itself \(exit -9\) before the rollout did"):
        watcher.stop()


# A rehearsal of a rollback: the watch must meet the rehearsal's 503s, and only those.


def watched_server(binary, tmp_path, *flags: str) -> dict:
    server = HttpEcho(binary, tmp_path / "access.log", *flags)
    try:
        return watched(binary, server.url, 0.5)
    finally:
        server.stop()


def test_a_rehearsal_meets_its_503s_and_only_those(http_echo_binary, tmp_path):
    summary = watched_server(http_echo_binary, tmp_path, "-text", "rehearsed", "-error-rate", "0.5")
    assert summary["failed"] == summary["requests"] // 2 > 0
    assert rollout_watch.problem(summary) is not None
    assert rollout_watch.rehearsal_problem(summary) is None


def test_a_rehearsal_whose_release_never_answered_fails(http_echo_binary, live):
    summary = watched(http_echo_binary, live.url, 0.5)
    assert rollout_watch.rehearsal_problem(summary) == (
        f"none of the {summary['requests']} requests to {live.url}/ met the rehearsal's 503: its tasks never "
        "answered, so their 5xx did not roll them back")


def test_a_rehearsal_with_other_failures_fails(http_echo_binary, tmp_path):
    summary = watched_server(http_echo_binary, tmp_path, "-text", "bad gateway", "-status-code", "502")
    requests = summary["requests"]
    assert rollout_watch.rehearsal_problem(summary) == (
        f"{requests} of {requests} requests to {summary['url']} failed otherwise than with the rehearsal's 503 "
        f"(status 502 {requests}): the rollout or the rollback dropped them")


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 (kept-alive connections, as a balancer's), and no line per request."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(server: http.server.ThreadingHTTPServer):
    """Serves in a thread for the block; yields its URL."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class NoTargetBalancer(http.server.ThreadingHTTPServer):
    """Answers 503 as a load balancer does itself when no target is healthy: an HTML
    page, no X-App-Version."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), NoTargetHandler)


class NoTargetHandler(QuietHandler):
    def do_GET(self):
        body = b"<html><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n"
        self.send_response(503)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_rehearsal_whose_503s_came_from_the_balancer_fails(http_echo_binary):
    with serving(NoTargetBalancer()) as url:
        summary = watched(http_echo_binary, url, 0.5)
    requests = summary["requests"]
    assert summary["failures"]["status_5xx"] == {"503": requests} and requests > 0
    assert rollout_watch.rehearsal_problem(summary) == (
        f"{requests} of the {requests} answers 503 to {summary['url']} did not come from http-echo (no "
        "X-App-Version): the load balancer found no target to send them to")


class RollingBalancer(http.server.ThreadingHTTPServer):
    """Answers as a balancer over three replicas would while v1 rolls to v2: the first
    `switch_after` answers are v1, the rest v2; replicas take turns. Text with Markdown
    and HTML in it, as a service's text may be."""

    switch_after = 30

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
        self.enough = threading.Event()
        super().__init__(("127.0.0.1", 0), RollingHandler)


class RollingHandler(QuietHandler):
    def do_GET(self):
        with self.server.lock:
            number = self.server.count
            self.server.count += 1
        version, text = ("1.0.0", "v1 | <b>old</b>") if number < self.server.switch_after else ("1.1.0", "v2")
        body = f"{text}\n".encode()
        self.send_response(200)
        self.send_header("X-App-Version", version)
        self.send_header("X-Served-By", f"task={'abc'[number % 3]} az=us-east-1{'abc'[number % 3]}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if number >= 2 * self.server.switch_after:
            self.server.enough.set()


def test_versions_over_time_and_replicas_are_rendered(http_echo_binary):
    balancer = RollingBalancer()
    with serving(balancer) as url:
        watcher = rollout_watch.Watcher(str(http_echo_binary), url)
        watcher.start()
        assert balancer.enough.wait(30), "the watcher sent too few requests"
        summary = watcher.stop()
    assert rollout_watch.problem(summary) is None, summary
    shown = rollout_watch.markdown(summary, "Rollout to dev, watched",
                                   "from before the change until ECS reported the service steady")
    lines = shown.splitlines()
    assert lines[0] == "### Rollout to dev, watched"
    assert "from before the change until ECS reported the service steady" in shown
    header = lines.index("| requests | failed | versions over time | replicas |")
    requests, failed, versions, replicas = (cell.strip() for cell in lines[header + 2].strip("|").split(" | "))
    assert (requests, failed) == (f"{summary['requests']:,}", "0")
    # v1 first, then v2, each with when it was seen; the text's markup shown, not rendered.
    old, new = versions.split("<br>")
    assert re.fullmatch(r'"v1 \\\| &lt;b&gt;old&lt;/b&gt;" \(version 1\.0\.0\): 0\.0–\d+\.\d s, 30 answers', old), old
    assert re.fullmatch(rf'"v2" \(version 1\.1\.0\): \d+\.\d–\d+\.\d s, {summary["requests"] - 30:,} answers', new), new
    assert [entry.split(":")[0] for entry in replicas.split("<br>")] == ["task=a az=us-east-1a", "task=b az=us-east-1b",
                                                                         "task=c az=us-east-1c"]
    assert "| failure |" not in shown
    log_line = rollout_watch.one_line(summary)
    assert log_line.startswith(f"{summary['requests']:,} requests, 0 failed in ")
    assert '"v2" (version 1.1.0)' in log_line

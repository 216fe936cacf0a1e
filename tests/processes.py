"""Real processes on the test database: `manage.py` commands (the task worker, the
scheduler) and servers (gunicorn), started from the project's folder with the test
settings and the test database's address, as a deployment would start them."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
#: Per tasks backend, the worker that runs what is queued, then exits.
WORKER = {
    "database": ["db_worker", "--batch", "--no-startup-delay"],
    "redis": ["rqworker", "--burst", "--job-class", "django_tasks_rq.Job", "default"],
}
#: Seconds a worker may take to run what one test queued.
RUN_TIMEOUT = 120


def database_url() -> str:
    """The address of the test database, for `DATABASE_URL`."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str | None) -> dict[str, str]:
    """This process's environment with the test settings, the test database and the
    tasks backend of the current settings, then `extra` on top; an `extra` of None
    leaves that variable out (so an operator's setting does not reach the process)."""
    env: dict[str, str | None] = {
        key: value for key, value in os.environ.items() if key != "SQLITE_PATH"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=database_url(),
        TASKS_BACKEND=settings.TASKS_BACKEND,
    )
    env.update(extra)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def free_port() -> int:
    """A loopback port that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], log: Path, **extra_env: str | None) -> subprocess.Popen:
    """Start `command` in the project's folder, its output (unbuffered, INFO and up
    unless `LOG_LEVEL` says otherwise) going to `log`, which it keeps as `.log`."""
    env = process_env(**{"PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO", **extra_env})
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    process.log = log
    return process


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Ask the process to end (SIGTERM); kill it if it has not within `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, step=0.1):
    """The first true value of `condition`, asked every `step` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout:g} s for {what}.")
        time.sleep(step)


def run_queued(
    *, media_root: Path | None = None, **extra_env: str | None
) -> subprocess.CompletedProcess:
    """Run what is queued in a worker process of the tasks backend (the current
    settings', or `TASKS_BACKEND` of `extra_env`) until the queue is empty. The test's
    own connection is closed first, so the worker is not waiting on it. Returns the
    finished process, its output captured; fails the test if it did not exit 0."""
    if media_root is not None:
        extra_env["MEDIA_ROOT"] = str(media_root)
    env = process_env(**extra_env)
    connection.close()
    worker = subprocess.run(
        manage(*WORKER[env["TASKS_BACKEND"]]),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert worker.returncode == 0, (
        f"The worker exited with {worker.returncode}: {worker.stderr[-3000:]}"
    )
    return worker


BIN = Path(sys.executable).parent
#: How long the web server lets requests under way finish when asked to stop; open
#: live streams are cut then (their pages reconnect and resume).
GRACEFUL_SECONDS = 10


def web_server(port: int, *, workers: int = 1) -> list[str]:
    """The web server as `make run` starts it (the Makefile's line is the same): the
    application of `config/asgi.py` under gunicorn with uvicorn workers."""
    return [
        str(BIN / "gunicorn"),
        "config.asgi:application",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        str(GRACEFUL_SECONDS),
    ]


def serve(command: list[str], log: Path, *, port: int, timeout: float = 60, **extra_env):
    """Start a server `command` listening on `port` and return it once it answers (stop
    it with `stop(server, GRACEFUL_SECONDS + 5)`)."""
    server = start(command, log, **extra_env)

    def answers() -> bool:
        assert server.poll() is None, f"The server exited: {log.read_text()[-3000:]}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    try:
        wait_until(answers, timeout=timeout, what=f"{command[0]} to listen on {port}")
    except BaseException:
        stop(server)
        raise
    return server

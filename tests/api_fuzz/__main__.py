"""Fuzz the JSON API with schemathesis, against the OpenAPI schema the app serves.

    python -m tests.api_fuzz [--examples 150] [--output api-fuzz-report.txt]

Serves the app with gunicorn and the production settings (DEBUG off, plain HTTP on
loopback, a throwaway SECRET_KEY, a rate limit nothing reaches) on a database made for
the run: a temporary SQLite file, or a fresh PostgreSQL database when
`FUZZ_DATABASE_URL` (else `DATABASE_URL`) points at PostgreSQL, dropped afterwards.
It migrates, signs up a user with a real API token (`manage.py api_token`), gives them
two metrics and a few measurements through the API so that ids exist, and runs
`st run` with the checks below. The output, and the tracebacks the server logged, go
to the report; the exit status is schemathesis's: non-zero when it found a failure.

Environment: `FUZZ_EXAMPLES` (examples per operation), `FUZZ_SEED` (replay a run:
its seed is in the report's summary), `FUZZ_WORKERS` (concurrent schemathesis
workers).
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
SCHEMA_PATH = "/api/v1/openapi.json"
USERNAME = "fuzz"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.api_fuzz", description=__doc__)
    parser.add_argument(
        "--examples",
        type=int,
        default=int(os.environ.get("FUZZ_EXAMPLES", "150")),
        help="most test cases per operation and phase (default 150, or FUZZ_EXAMPLES)",
    )
    parser.add_argument("--workers", default=os.environ.get("FUZZ_WORKERS", "2"))
    parser.add_argument("--seed", default=os.environ.get("FUZZ_SEED"))
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args()

    with Report(args.output) as report:
        return fuzz(args, report)


def fuzz(args, report: "Report") -> int:
    with tempfile.TemporaryDirectory(prefix="goaltrack-fuzz-") as scratch:
        scratch = Path(scratch)
        with fresh_database(scratch) as (database_url, label):
            env = server_env(database_url)
            report.line(f"Database: {label} (created for this run, dropped after it)")
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            manage(env, "createcachetable")
            # DEBUG is off, so pages (a 404 outside the API) need the static manifest.
            manage(env, "collectstatic", "--noinput", "--verbosity", "0")
            token = manage(env, "api_token", USERNAME, "--create-user", "--name", "fuzz")
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server_log = scratch / "server.log"
            with serve(env, port, server_log):
                wait_for(base + SCHEMA_PATH)
                seed_data(base, token)
                command = st_command(base + SCHEMA_PATH, token, args)
                report.line("Command: " + shlex.join(command).replace(token, "$TOKEN"))
                report.line("")
                status = report.run(command, cwd=scratch)
            report.server_errors(server_log.read_text(encoding="utf-8", errors="replace"))
    outcome = "no failures" if status == 0 else f"FAILED (exit status {status})"
    where = f"; report in {args.output}" if args.output else ""
    report.line(f"\napi-fuzz: {outcome}{where}")
    return status


# The database


@contextlib.contextmanager
def fresh_database(scratch: Path):
    """Yield (DATABASE_URL for the server, a label for the report)."""
    url = os.environ.get("FUZZ_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        path = scratch / "fuzz.sqlite3"
        yield f"sqlite:///{path}", f"SQLite `{path}`"
        return

    import dj_database_url
    import psycopg
    from psycopg import sql

    settings = dj_database_url.parse(url)
    name = f"goaltrack_fuzz_{os.getpid()}"
    server = {
        "dbname": "postgres",
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
    }

    def admin(statement):
        with psycopg.connect(**server, autocommit=True) as connection:
            connection.execute(statement)

    admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        parts = urllib.parse.urlsplit(url)
        yield (
            urllib.parse.urlunsplit(parts._replace(path=f"/{name}")),
            f"PostgreSQL `{name}` on {settings['HOST']}:{settings['PORT']}",
        )
    finally:
        admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# The server


def server_env(database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FUZZ_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("SQLITE_PATH", None)
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        DJANGO_HTTPS="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        # A window of one second keeps the throttle's history short; nothing reaches it.
        API_RATE_LIMIT="100000/s",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"api-fuzz: manage.py {args[0]} failed")
    return result.stdout.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve(env: dict[str, str], port: int, log: Path):
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"api-fuzz: the server did not answer {url} in {seconds:.0f} s")
        time.sleep(0.2)


def call(base: str, token: str, method: str, path: str, body) -> dict:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"api-fuzz: seeding failed, {method} {path} answered {exc.code}: {exc.read()[:500]!r}"
        ) from exc


def seed_data(base: str, token: str) -> None:
    """Two metrics with a few measurements, written through the API itself: one in
    another unit (so `original_value` is set), one with an external id, a few by batch;
    and, when the API has goals, a goal on each metric, one of them archived."""
    weight = call(base, token, "POST", "/api/v1/metrics", {"name": "Weight", "unit": "kg"})
    workouts = call(
        base, token, "POST", "/api/v1/metrics", {"name": "Workouts", "unit": "workouts"}
    )
    call(base, token, "POST", "/api/v1/measurements", {"metric_id": weight["id"], "value": "81.4"})
    call(
        base,
        token,
        "POST",
        "/api/v1/measurements",
        {
            "metric_id": weight["id"],
            "value": "180",
            "unit": "lb",
            "measured_at": "2026-01-05T07:30:00+01:00",
            "note": "seed",
            "external_id": "seed-scale-1",
        },
    )
    call(
        base,
        token,
        "POST",
        "/api/v1/measurements/batch",
        {
            "items": [
                {"metric_id": workouts["id"], "value": 1, "external_id": f"seed-workout-{day}"}
                for day in range(3)
            ]
        },
    )
    with urllib.request.urlopen(base + SCHEMA_PATH, timeout=10) as response:
        paths = json.loads(response.read())["paths"]
    if "post" in paths.get("/api/v1/webhooks", {}):
        # An endpoint and a test delivery, so their ids exist. No worker runs during
        # the fuzz, so nothing is ever sent to the address.
        hook = call(
            base,
            token,
            "POST",
            "/api/v1/webhooks",
            {"url": "https://hooks.example.com/fuzz", "event_types": ["goal.created"]},
        )
        call(base, token, "POST", f"/api/v1/webhooks/{hook['id']}/test", None)
    if "post" not in paths.get("/api/v1/goals", {}):
        return
    call(
        base,
        token,
        "POST",
        "/api/v1/goals",
        {
            "title": "Weigh 75 kg by March",
            "kind": "reach",
            "start_value": "82",
            "target": "75",
            "deadline": "2027-03-01",
            "metric_id": weight["id"],
        },
    )
    quota = call(
        base,
        token,
        "POST",
        "/api/v1/goals",
        {
            "title": "3 workouts a week",
            "kind": "quota",
            "target": "3",
            "period": "week",
            "comparison": "at_least",
            "metric_id": workouts["id"],
        },
    )
    if "post" in paths.get("/api/v1/goals/{goal_id}/archive", {}):
        call(base, token, "POST", f"/api/v1/goals/{quota['id']}/archive", None)


# Schemathesis


def st_command(schema_url: str, token: str, args) -> list[str]:
    command = [
        str(BIN / "st"),
        "--config-file",
        str(CONFIG),
        "run",
        schema_url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(args.examples),
        "--workers",
        str(args.workers),
        "--request-timeout",
        "30",
        "--no-color",
    ]
    if args.seed:
        command += ["--seed", str(args.seed)]
    return command


# The report


TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\[\d{4}-\d\d-\d\d )")
EXCEPTION = re.compile(r"^(\w+\.)*[A-Z]\w*(Error|Exception|Exit|Interrupt)\b")


class Report:
    def __init__(self, path: Path | None):
        self.path = path
        self.out = path.open("w", encoding="utf-8") if path else None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.out:
            self.out.close()

    def line(self, text: str) -> None:
        print(text, flush=True)
        if self.out:
            self.out.write(text + "\n")
            self.out.flush()

    def run(self, command: list[str], *, cwd: Path) -> int:
        """Run `command`, its output streamed to the terminal and the report."""
        env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        for text in process.stdout:
            self.line(text.rstrip("\n"))
        return process.wait()

    def server_errors(self, log: str) -> None:
        """The tracebacks the server logged, each once, with how often it came."""
        entries, current = [], []
        for text in log.splitlines():
            if TIMESTAMP.match(text) and current:
                entries.append(current)
                current = []
            current.append(text)
        if current:
            entries.append(current)
        seen: Counter[str] = Counter()
        first: dict[str, list[str]] = {}
        for entry in entries:
            if not any(text.startswith("Traceback") for text in entry):
                continue
            key = _traceback_key(entry)
            seen[key] += 1
            first.setdefault(key, entry)
        self.line("")
        self.line("=" * 30 + " SERVER TRACEBACKS " + "=" * 31)
        if not seen:
            self.line("None: the server logged no exception.")
            return
        for key, count in seen.most_common():
            self.line("")
            self.line(f"{count} times: {key}")
            for text in first[key]:
                self.line("    " + text)
        if self.out:
            self.out.flush()


def _traceback_key(entry: list[str]) -> str:
    """What (the last exception line) and where (the innermost frame in the project)."""
    where, what = "", entry[-1].strip()
    for text in entry:
        frame = re.match(r'\s+File "([^"]+)", line (\d+), in (\S+)', text)
        if frame and frame[1].startswith(str(ROOT)) and "/.venv/" not in frame[1]:
            where = f"{Path(frame[1]).relative_to(ROOT)}:{frame[2]} in {frame[3]}"
        elif EXCEPTION.match(text):
            what = text
    return f"{what} (at {where})" if where else what


if __name__ == "__main__":
    sys.exit(main())

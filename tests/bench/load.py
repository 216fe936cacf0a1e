"""A load test: many users at once on the server as `make run` starts it (gunicorn,
two uvicorn workers), driven by locust over real HTTP on loopback.

Each simulated user logs in through the login form, then loops over its dashboard, the
quick-entry form, its goal pages and the JSON API's single write (the mix and the
users are in `tests/bench/locustfile.py`). The report gives, per request type, the
requests, failures, throughput and p50/p95 over a fixed time with every user running.

locust runs in a subprocess: importing it would let gevent patch this process's
sockets and threads under Django and the database connection.
"""

import http.client
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

from django.utils import timezone

from accounts.contracts import CreateApiToken
from accounts.orchestrators import create_api_token
from goals.models import Goal
from measurements.models import Metric
from tests import processes

from .seed import seed_account
from .timing import table

#: Seeded accounts; with more simulated users than accounts, users share them.
ACCOUNTS = 50
#: Weight measurements per account (plus 100 runs and 200 nights), ~1 year of 3 a day.
HISTORY = 1000
#: The password `seed_account` signs its users up with.
PASSWORD = "bench-password-2026"
#: A plausible value per seeded metric, for the writes.
VALUES = {"Weight": "81.4", "Running distance": "5.2", "Sleep": "7.5"}
WORKERS = 2
#: (name in the locustfile, label in the report, weight in the mix), in report order;
#: written out here, as importing the locustfile would import locust (and gevent).
MIX = [
    ("GET / (dashboard)", "dashboard (`GET /`)", 5),
    (
        "POST /metrics/<id>/record/ (quick entry, HTMX)",
        "quick entry (`POST /metrics/<id>/record/`, HTMX)",
        3,
    ),
    ("GET /goals/<id>/ (goal page)", "goal page (`GET /goals/<id>/`)", 2),
    (
        "POST /api/v1/measurements (bearer token)",
        "API write (`POST /api/v1/measurements`, bearer token)",
        3,
    ),
]
LOGIN = ("GET /accounts/login/", "POST /accounts/login/")


def _account(number: int) -> dict:
    account = seed_account(username=f"load-{number}", history=HISTORY)
    user = account.user
    token = create_api_token(CreateApiToken(name="load"), actor_id=user.id, now=timezone.now())
    if not token.ok:
        raise RuntimeError(f"Seeding failed: {token.error.message}")
    metrics = Metric.objects.filter(owner=user).values_list("id", "name")
    return {
        "username": user.username,
        "password": PASSWORD,
        "token": token.data.secret,
        "values": {str(metric_id): VALUES[name] for metric_id, name in metrics},
        "goals": list(Goal.objects.filter(owner=user).values_list("id", flat=True)),
    }


def _answering(port: int) -> bool:
    """Whether the server answers a page: gunicorn listens before its workers have
    booted, and requests wait in the backlog until they have."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/accounts/login/")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _drive(folder: Path, config: dict) -> dict:
    """Run the simulated users against `config["host"]`; what they recorded."""
    config_path, result_path = folder / "load.json", folder / "load-result.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    log = folder / "locust.log"
    timeout = config["users"] / config["spawn_rate"] + config["seconds"] + 180
    with log.open("w", encoding="utf-8") as out:
        finished = subprocess.run(
            [sys.executable, "-m", "tests.bench.locustfile", str(config_path), str(result_path)],
            cwd=processes.ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    if finished.returncode != 0 or not result_path.exists():
        raise RuntimeError(
            f"locust exited with {finished.returncode}: {log.read_text(encoding='utf-8')[-3000:]}"
        )
    return json.loads(result_path.read_text(encoding="utf-8"))


def run(*, load_seconds: int = 30, load_users: int = 50, load_spawn_rate: float = 10) -> str:
    accounts = [_account(number) for number in range(ACCOUNTS)]
    with TemporaryDirectory(prefix="goaltrack-bench-load-") as folder:
        logs = Path(folder)
        port = processes.free_port()
        server = processes.serve(
            processes.web_server(port, workers=WORKERS), logs / "server.log", port=port
        )
        try:
            processes.wait_until(
                lambda: _answering(port), timeout=120, what="the server to answer", step=0.5
            )
            result = _drive(
                logs,
                {
                    "host": f"http://127.0.0.1:{port}",
                    "users": load_users,
                    "spawn_rate": load_spawn_rate,
                    "seconds": load_seconds,
                    "accounts": accounts,
                },
            )
        finally:
            processes.stop(server, processes.GRACEFUL_SECONDS + 5)
        result["server_errors"] = _server_errors(logs / "server.log")
    return _section(result, load_users, load_spawn_rate)


def _server_errors(log: Path) -> list[str]:
    """The server's logged errors (a 500, a worker timeout), for the report."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line[:300] for line in lines if " ERROR " in line or "[CRITICAL]" in line]


def _ms(samples: list[float], share: float) -> str:
    """The nearest-rank percentile of response times in milliseconds."""
    if not samples:
        return "n/a"
    ranked = sorted(samples)
    return f"{ranked[max(0, math.ceil(share * len(ranked)) - 1)]:.1f}"


def _row(label: str, requests: list[list], seconds: float) -> list[str]:
    times = [response_time for _, _, response_time, _ in requests]
    failures = sum(failure is not None for *_, failure in requests)
    return [
        label,
        f"{len(requests):,}",
        str(failures),
        f"{len(requests) / seconds:.1f}",
        _ms(times, 0.5),
        _ms(times, 0.95),
    ]


def _failures(requests: list[list], errors: list[str]) -> str:
    """The distinct failures, most frequent first."""
    seen: dict[str, int] = {}
    for name, _, _, failure in requests:
        if failure is not None:
            seen[f"{name}: {failure}"] = seen.get(f"{name}: {failure}", 0) + 1
    for error in errors:
        seen[f"task error: {error}"] = seen.get(f"task error: {error}", 0) + 1
    ranked = sorted(seen.items(), key=lambda item: -item[1])[:10]
    return "\n".join(f"- {what} ({times} times)" for what, times in ranked)


def _section(result: dict, users: int, spawn_rate: float) -> str:
    started, ended = result["window"]
    seconds = ended - started
    names = {name for name, _, _ in MIX}
    measured = [
        r
        for r in result["requests"]
        if r[0] in names and r[1] is not None and started <= r[1] < ended
    ]
    by_name = {name: [r for r in measured if r[0] == name] for name, _, _ in MIX}
    rows = [_row(label, by_name[name], seconds) for name, label, _ in MIX]
    rows.append(_row("**all**", measured, seconds))
    logins = [r for r in result["requests"] if r[0] in LOGIN]
    login_failures = sum(r[3] is not None for r in logins)
    failures = _failures(result["requests"], result["errors"])
    errors = result["server_errors"]
    weights = ", ".join(f"{label.split(' (')[0]} {weight}" for _, label, weight in MIX)
    cpu = f"{result['cpu_percent']:.0f} % of one core" + (
        " (locust warned that its CPU was above 90 %: the load generator, not only the "
        "server, limited the throughput)"
        if result["cpu_warning"]
        else ""
    )
    return "\n\n".join(
        part
        for part in [
            "## Load: many users at once",
            f"**{users} simulated users** (locust {result['locust']}, one process), started at "
            f"{spawn_rate:g} a second, then measured for **{seconds:.1f} s** with all of them "
            f"running, against the server as `make run` starts it (gunicorn, {WORKERS} uvicorn "
            f"workers) over loopback, on the same machine ({os.cpu_count()} CPUs). "
            f"{ACCOUNTS} accounts, each with three metrics, five goals (reach, range and "
            "quota on weight, a total, a daily range) "
            f"and {HISTORY:,} weight measurements, 100 runs and 200 nights; with more "
            "users than accounts, users share them. Each user logs in through the login form "
            f"({len(logins)} requests, {login_failures} failed, before the measured time), "
            "then loops with no think time, so there are up to "
            f"{users} requests in flight; its next request is, by weight: {weights}. Quick "
            "entries post the form of the dashboard (its CSRF token, a fresh "
            "`submission_token`); API writes carry the user's bearer token and a fresh "
            "`Idempotency-Key`, on a connection without the session. Throughput is requests "
            "started in the measured time over its length; percentiles are nearest-rank, in "
            f"ms, from send to the whole response read. Load generator CPU: {cpu}. A "
            "request whose connection failed before any answer is sent once more, as "
            "browsers do when the server has just closed a kept-alive connection (the "
            "`submission_token` and `Idempotency-Key` make a repeated POST safe): "
            f"{result['sent_again']} times in the whole run.",
            table(
                ["request type", "requests", "failures", "throughput req/s", "p50 ms", "p95 ms"],
                rows,
            ),
            f"Failures:\n\n{failures}" if failures else "",
            (
                f"The server logged {len(errors)} errors; the first:\n\n"
                + "\n".join(f"- `{line}`" for line in errors[:5])
                if errors
                else ""
            ),
        ]
        if part
    )

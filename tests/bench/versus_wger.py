"""P5: one measurement POSTed through the JSON API, against the same POST to wger
(https://github.com/wger-project/wger, 2.1, its latest release on PyPI), a well-known
Django fitness tracker, on the same server set-up: gunicorn with two sync workers,
PostgreSQL on loopback with a fresh database each, DEBUG off.

wger runs from a virtualenv of its own, `.bench/wger`, made on first use with a
Python 3.10 or 3.11 (its pinned dependencies have no wheels for newer ones) from the
package index. Where neither is at hand the section says so, and the other benches run.

Both servers take the same load: `CLIENTS` threads, each POSTing one request after
another (gunicorn's sync workers close the connection after each answer, so each
request opens one), for `ROUNDS` rounds of `PER_ROUND` requests a server, the two
taking turns round by round. A server's rate is its requests over the time its rounds
took. wger's POST is `/api/v2/measurement/` (category, date, value) with a token; its
measurements are unique per day, so each request names a day of its own. Goaltrack's
is `/api/v1/measurements` (metric, value) with a bearer token, on a metric with goals
over it, so each write also judges them, writes its audit entry and its event.
"""

import datetime as dt
import http.client
import itertools
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import psycopg
from django.db import connection
from django.utils import timezone
from psycopg import sql

from accounts.contracts import CreateApiToken
from accounts.orchestrators import create_api_token
from tests import processes

from .seed import seed_account
from .timing import table

WGER = "wger==2.1"
#: What wger's virtualenv gets beside it: its server and its PostgreSQL driver.
WGER_EXTRAS = ("gunicorn==23.0.0", "psycopg2-binary==2.9.9", "setuptools<70")
VENV = processes.ROOT / ".bench" / "wger"
PYTHONS = ("python3.10", "python3.11")
CLIENTS = 4
ROUNDS = 5
PER_ROUND = 200
WORKERS = 2
TARGET = 2.0
#: wger's measurements are one a day: each POST names the day after the last one's.
FIRST_DAY = dt.date(1900, 1, 1)

SETTINGS = """
from wger.settings_global import *  # noqa

DEBUG = False
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.postgresql", "NAME": {name!r}, "USER": {user!r},
    "PASSWORD": {password!r}, "HOST": {host!r}, "PORT": {port!r}, "CONN_MAX_AGE": 60,
}}}}
SECRET_KEY = "bench-only-" + "k" * 40
ALLOWED_HOSTS = ["127.0.0.1"]
SITE_URL = "http://127.0.0.1"
MEDIA_ROOT = {media!r}
SILENCED_SYSTEM_CHECKS = ["captcha.recaptcha_test_key_error"]
"""

ACCOUNT = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from wger.measurements.models import Category

user = User.objects.create_user("bench", password="bench-password-2026")
category = Category.objects.create(user=user, name="Weight", unit="kg")
print(Token.objects.create(user=user).key, category.id)
"""


class Unavailable(Exception):
    """wger cannot be installed or started here; the reason is for the report."""


def run() -> str:
    try:
        python = _wger_venv()
    except Unavailable as reason:
        return _section_unavailable(str(reason))
    with TemporaryDirectory(prefix="goaltrack-bench-p5-") as folder:
        folder = Path(folder)
        with WgerDatabase() as database:
            wger = WgerServer(python, folder, database)
            ours = GoaltrackServer(folder)
            try:
                wger.start()
                ours.start()
                rates = _race([ours, wger])
            finally:
                wger.stop()
                ours.stop()
    return _section(rates, python)


# wger, installed and served


def _wger_venv() -> Path:
    """The Python of wger's virtualenv, made (or completed) on first use."""
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    if marker.exists() and marker.read_text() == " ".join([WGER, *WGER_EXTRAS]):
        return python
    base = next((found for name in PYTHONS if (found := _python(name))), None)
    if base is None:
        raise Unavailable(f"no {' or '.join(PYTHONS)} here (wger 2.1 needs one)")
    shutil.rmtree(VENV, ignore_errors=True)
    steps = [
        [base, "-m", "venv", str(VENV)],
        [str(python), "-m", "pip", "install", "--quiet", WGER, *WGER_EXTRAS],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise Unavailable(f"`{' '.join(step[:4])} …` failed: {done.stderr.strip()[-500:]}")
    marker.write_text(" ".join([WGER, *WGER_EXTRAS]))
    return python


def _python(name: str) -> str | None:
    """`name` on PATH, or in pyenv's versions, that really runs (pyenv shims exist
    for versions that are not active)."""
    candidates = [shutil.which(name)]
    root = ""
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    if root:
        version = name.removeprefix("python")
        candidates += sorted(Path(root, "versions").glob(f"{version}.*/bin/python3"))
    for candidate in filter(None, candidates):
        if subprocess.run([str(candidate), "-V"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


class WgerDatabase:
    """A fresh PostgreSQL database on the bench's server, dropped afterwards."""

    def __enter__(self) -> dict:
        self.settings = connection.settings_dict
        self.name = f"{self.settings['NAME']}_wger"
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)"))
        self._admin(sql.SQL("CREATE DATABASE {}"))
        return {
            "name": self.name,
            "user": self.settings["USER"] or "postgres",
            "password": self.settings["PASSWORD"] or "",
            "host": self.settings["HOST"] or "127.0.0.1",
            "port": str(self.settings["PORT"] or 5432),
        }

    def __exit__(self, *exc) -> None:
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)"))

    def _admin(self, statement: sql.SQL) -> None:
        with psycopg.connect(
            dbname="postgres",
            user=self.settings["USER"] or None,
            password=self.settings["PASSWORD"] or None,
            host=self.settings["HOST"] or "127.0.0.1",
            port=self.settings["PORT"] or None,
            autocommit=True,
        ) as admin:
            admin.execute(statement.format(sql.Identifier(self.name)))


class WgerServer:
    label = "wger 2.1 (`POST /api/v2/measurement/`)"

    def __init__(self, python: Path, folder: Path, database: dict):
        self.python, self.folder, self.database = python, folder, database
        self.port = processes.free_port()
        self.days = itertools.count()
        self.server = None

    def _env(self) -> dict:
        return {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(self.folder),
            "DJANGO_SETTINGS_MODULE": "wger_bench_settings",
        }

    def _django(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.python), "-m", "django", *args],
            cwd=self.folder,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"wger: django {args[0]} failed: {done.stderr[-1500:]}")
        return done.stdout

    def start(self) -> None:
        settings = SETTINGS.format(**self.database, media=str(self.folder / "media"))
        (self.folder / "wger_bench_settings.py").write_text(settings, encoding="utf-8")
        self._django("migrate", "--noinput", "--verbosity", "0")
        self._django("loaddata", "languages")  # a user's profile names its language
        self.token, category = self._django("shell", "-c", ACCOUNT).split()[-2:]
        self.category = int(category)
        log = (self.folder / "wger.log").open("w", encoding="utf-8")
        gunicorn = [str(self.python.parent / "gunicorn"), "wger.wsgi:application"]
        self.server = subprocess.Popen(
            [*gunicorn, "--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS)],
            cwd=self.folder,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.wait_until(self._answers, timeout=60, what="wger to answer", step=0.3)

    def _answers(self) -> bool:
        assert self.server.poll() is None, (self.folder / "wger.log").read_text()[-2000:]
        try:
            return self.post() == 201
        except OSError:
            return False

    def post(self) -> int:
        day = FIRST_DAY + dt.timedelta(days=next(self.days))
        body = {"category": self.category, "date": f"{day:%Y-%m-%d}", "value": "81.40"}
        return _post(self.port, "/api/v2/measurement/", body, f"Token {self.token}")

    def stop(self) -> None:
        if self.server is not None:
            processes.stop(self.server)


class GoaltrackServer:
    label = "Goaltrack (`POST /api/v1/measurements`)"

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = processes.free_port()
        self.server = None

    def start(self) -> None:
        account = seed_account(username="versus-wger", history=1000)
        self.metric_id, self.goals = account.metric_id, account.goals_on_metric
        made = create_api_token(
            CreateApiToken(name="p5"), actor_id=account.user.id, now=timezone.now()
        )
        self.token = made.unwrap().secret
        gunicorn = [str(processes.BIN / "gunicorn"), "config.wsgi"]
        self.server = processes.serve(
            [*gunicorn, "--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS)],
            self.folder / "goaltrack.log",
            port=self.port,
            API_RATE_LIMIT="1000000/s",
            LOG_LEVEL="WARNING",
        )
        processes.wait_until(lambda: self.post() == 201, timeout=60, what="Goaltrack", step=0.3)

    def post(self) -> int:
        body = {"metric_id": self.metric_id, "value": "81.4"}
        return _post(self.port, "/api/v1/measurements", body, f"Bearer {self.token}")

    def stop(self) -> None:
        if self.server is not None:
            processes.stop(self.server, processes.GRACEFUL_SECONDS + 5)


def _post(port: int, path: str, body: dict, authorization: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


# The race


def _race(servers: list) -> dict[str, float]:
    """Requests per second of each server, over ROUNDS rounds taken in turns."""
    spent = dict.fromkeys((server.label for server in servers), 0.0)
    for server in servers:  # warm both up: connections, caches, the first judgement
        _round(server, CLIENTS * 10)
    for _ in range(ROUNDS):
        for server in servers:
            spent[server.label] += _round(server, PER_ROUND)
    return {label: ROUNDS * PER_ROUND / seconds for label, seconds in spent.items()}


def _round(server, requests: int) -> float:
    """Seconds `CLIENTS` threads take to send `requests` POSTs; any answer but 201
    stops the bench."""
    left = itertools.count(requests, -1)
    failures: list[str] = []

    def client() -> None:
        while next(left) > 0 and not failures:
            status = server.post()
            if status != 201:
                failures.append(f"{server.label} answered {status}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise AssertionError(failures[0])
    return time.perf_counter() - started


# The report


def _section(rates: dict[str, float], python: Path) -> str:
    ours, theirs = rates[GoaltrackServer.label], rates[WgerServer.label]
    ratio = ours / theirs
    rows = [[label, f"{rate:,.0f}"] for label, rate in rates.items()]
    result = "pass" if ratio >= TARGET else "**miss**"
    return "\n\n".join(
        [
            "## P5: a measurement POST against wger's",
            f"Both on gunicorn with {WORKERS} sync workers and PostgreSQL (a fresh database "
            f"each), DEBUG off; {CLIENTS} client threads, {ROUNDS} rounds of {PER_ROUND} "
            "POSTs a server, taken in turns after a warm-up; each request on a new "
            f"connection. wger from `{VENV.relative_to(processes.ROOT)}` ({python}).",
            table(["server", "POSTs/s"], rows),
            f"**P5: {ratio:.2f}x wger's rate** (target ≥ {TARGET:g}x): {result}.",
        ]
    )


def _section_unavailable(reason: str) -> str:
    return f"## P5: a measurement POST against wger's\n\nNot measured: {reason}."

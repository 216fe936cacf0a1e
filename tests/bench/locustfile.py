"""The simulated users of the load bench (`tests.bench.load`), run by locust in a
process of its own:

    python -m tests.bench.locustfile CONFIG.json RESULT.json

locust imports gevent, which patches sockets, threads and `time.sleep` of the whole
process the moment it is imported. So this module is never imported by the bench
process or by anything pytest collects: the bench starts it as a subprocess, hands it
the server and the accounts in CONFIG.json, and reads every request back from
RESULT.json.

Each simulated user takes one seeded account, logs in through the login form (its
CSRF token read from the page), reads its dashboard once for the page's CSRF token,
then loops with no think time over: the dashboard (weight 5), the quick-entry form's
HTMX POST on one of its metrics (3), one of its goal pages (2), and
`POST /api/v1/measurements` with its bearer token, on a connection of its own without
the session (3).
"""

import locust  # noqa: I001 (first: gevent patches the process when locust is imported)

import json
import os
import random
import re
import sys
import time
import uuid
from itertools import count
from pathlib import Path

import gevent
from gevent.event import Event
from locust import HttpUser, constant, task
from locust.clients import HttpSession, LocustHttpAdapter
from locust.env import Environment
from locust.exception import StopUser
from urllib3.util.retry import Retry

DASHBOARD = "GET / (dashboard)"
QUICK_ENTRY = "POST /metrics/<id>/record/ (quick entry, HTMX)"
GOAL_PAGE = "GET /goals/<id>/ (goal page)"
API_WRITE = "POST /api/v1/measurements (bearer token)"
LOGIN_PAGE = "GET /accounts/login/"
LOGIN = "POST /accounts/login/"
#: The CSRF token a page gives its HTMX requests (`hx-headers` on <body>).
PAGE_CSRF = re.compile(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")
FORM_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QUICK_ENTRY_FORM = re.compile(r'hx-post="/metrics/(\d+)/record/"')


class OnceAgain(Retry):
    """Send a request once more when its connection failed before any answer, as
    browsers and HTTP clients do when the server has closed a kept-alive connection
    just as the request went out (uvicorn closes one idle for 5 s: a user's page
    connection idles while its API request is answered). Repeating a POST is safe: the
    quick entry's `submission_token` and the API's `Idempotency-Key` record it once.
    Counts how often it was used."""

    used = 0

    def increment(self, *args, **kwargs):
        OnceAgain.used += 1
        return super().increment(*args, **kwargs)


def _retrying(session: HttpSession) -> HttpSession:
    retry = OnceAgain(total=1, connect=1, read=1, status=0, other=0, allowed_methods=None)
    session.mount("http://", LocustHttpAdapter(pool_manager=None, max_retries=retry))
    return session


def _answer(response) -> str:
    """What came back, for a failure's message."""
    if not response.status_code:
        return f"no response ({response.error!r})"
    return f"{response.status_code}: {response.text[:200]!r}"


class GoalUser(HttpUser):
    wait_time = constant(0)
    accounts: list[dict] = []
    numbers = count()
    #: Users that have logged in and read their dashboard, of how many are started.
    ready = 0
    expected = 0
    all_ready = Event()

    def on_start(self):
        self.account = self.accounts[next(self.numbers) % len(self.accounts)]
        _retrying(self.client)
        self.api = _retrying(
            HttpSession(
                base_url=self.host, request_event=self.environment.events.request, user=self
            )
        )
        self.api.headers["Authorization"] = f"Bearer {self.account['token']}"
        self.csrf = ""
        self.entry_metrics = sorted(self.account["values"])
        self._log_in()
        self.dashboard()
        GoalUser.ready += 1
        if GoalUser.ready >= GoalUser.expected:
            GoalUser.all_ready.set()

    def on_stop(self):
        self.api.close()

    def _log_in(self):
        with self.client.get("/accounts/login/", name=LOGIN_PAGE, catch_response=True) as response:
            found = FORM_CSRF.search(response.text)
            if response.status_code != 200 or not found:
                response.failure(f"login page: {_answer(response)}")
                raise StopUser
        body = {
            "username": self.account["username"],
            "password": self.account["password"],
            "csrfmiddlewaretoken": found.group(1),
            "next": "/",
        }
        with self.client.post(
            "/accounts/login/", data=body, name=LOGIN, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302 or "sessionid" not in self.client.cookies:
                response.failure(f"login: expected 302 and a session, got {_answer(response)}")
                raise StopUser

    @task(5)
    def dashboard(self):
        with self.client.get("/", name=DASHBOARD, catch_response=True) as response:
            token = PAGE_CSRF.search(response.text)
            if response.status_code != 200 or not token:
                response.failure(f"dashboard: {_answer(response)}")
                return
            self.csrf = token.group(1)
            # The forms of the page, so the quick entry posts where the page does.
            shown = {int(metric) for metric in QUICK_ENTRY_FORM.findall(response.text)}
            self.entry_metrics = sorted(shown & set(self.account["values"])) or sorted(
                self.account["values"]
            )

    @task(3)
    def quick_entry(self):
        metric = random.choice(self.entry_metrics)
        body = {
            "value": self.account["values"][metric],
            "submission_token": str(uuid.uuid4()),
            "next": "/",
        }
        with self.client.post(
            f"/metrics/{metric}/record/",
            data=body,
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf},
            name=QUICK_ENTRY,
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "Recorded" not in response.text:
                response.failure(f"quick entry: expected “Recorded”, got {_answer(response)}")

    @task(2)
    def goal_page(self):
        goal = random.choice(self.account["goals"])
        with self.client.get(f"/goals/{goal}/", name=GOAL_PAGE, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"goal page: {_answer(response)}")

    @task(3)
    def api_write(self):
        metric = random.choice(list(self.account["values"]))
        with self.api.post(
            "/api/v1/measurements",
            json={"metric_id": int(metric), "value": self.account["values"][metric]},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name=API_WRITE,
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"API write: expected 201, got {_answer(response)}")


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def main(config_path: str, result_path: str) -> None:
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    GoalUser.accounts = [
        {**account, "values": {int(k): v for k, v in account["values"].items()}}
        for account in config["accounts"]
    ]
    env = Environment(user_classes=[GoalUser], host=config["host"], stop_timeout=60)
    requests: list[list] = []
    errors: list[str] = []

    def on_request(request_type, name, response_time, exception, start_time=None, **_):
        failure = None if exception is None else str(exception)[:300]
        requests.append([name, start_time, response_time, failure])

    def on_user_error(user_instance, exception, tb):
        errors.append(f"{type(exception).__name__}: {exception}"[:300])

    env.events.request.add_listener(on_request)
    env.events.user_error.add_listener(on_user_error)
    GoalUser.expected = config["users"]
    runner = env.create_local_runner()
    runner.start(config["users"], spawn_rate=config["spawn_rate"])
    if not GoalUser.all_ready.wait(timeout=config["users"] / config["spawn_rate"] + 120):
        raise SystemExit("The simulated users did not all log in.")
    cpu, started = _cpu_seconds(), time.time()
    gevent.sleep(config["seconds"])
    ended = time.time()
    cpu_used = _cpu_seconds() - cpu
    runner.stop()  # each user finishes the request it is in (stop_timeout), then stops
    runner.quit()
    result = {
        "window": [started, ended],
        "requests": requests,
        "errors": errors,
        "cpu_percent": 100 * cpu_used / (ended - started),
        "cpu_warning": runner.cpu_warning_emitted,
        "sent_again": OnceAgain.used,
        "locust": locust.__version__,
    }
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])

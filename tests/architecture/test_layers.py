"""The layer contracts of the design, checked on every run.

import-linter keeps the import graph (views do not import executors, orchestrators do
not import models, executors do not import views or orchestrators, measurements does
not import goals; see `[tool.importlinter]` in pyproject.toml). What an import graph
cannot see is checked here on the syntax tree: orchestrators build no queries, and
executors make no HTTP calls.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "goals", "measurements", "sources", "webhooks", "notifications"]

QUERY_API = {
    "objects",
    "filter",
    "exclude",
    "annotate",
    "aggregate",
    "select_related",
    "prefetch_related",
    "values_list",
    "raw",
    "extra",
    "select_for_update",
    "bulk_create",
    "bulk_update",
    "update_or_create",
    "get_or_create",
}
ORM_MODULES = ("django.db.models", "django.db.connection", "django.db.transaction")
HTTP_CLIENTS = ("urllib.request", "http.client", "requests", "httpx", "aiohttp", "urllib3")
WEB_LAYER = ("django.http", "django.shortcuts", "django_htmx", "django.template")


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def orm_violations(source: str) -> list[str]:
    tree = ast.parse(source)
    found = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in QUERY_API
    ]
    found += [
        f"imports {name}"
        for name in imported_modules(tree)
        if name.startswith(ORM_MODULES) or name.endswith(".models")
    ]
    return found


def forbidden_imports(source: str, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(name for name in imported_modules(ast.parse(source)) if name.startswith(prefixes))


def layer_files(layer: str) -> list[Path]:
    return [ROOT / app / f"{layer}.py" for app in APPS if (ROOT / app / f"{layer}.py").exists()]


def test_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken." in result.stdout


@pytest.mark.parametrize("path", layer_files("orchestrators"), ids=lambda p: p.parent.name)
def test_orchestrators_build_no_queries(path):
    assert orm_violations(path.read_text()) == []


@pytest.mark.parametrize("path", layer_files("executors"), ids=lambda p: p.parent.name)
def test_executors_make_no_http_calls_and_know_no_web_layer(path):
    assert forbidden_imports(path.read_text(), HTTP_CLIENTS + WEB_LAYER) == []


def test_the_checks_catch_a_violation():
    """The checks are not vacuous: a query in an orchestrator and an HTTP client in an
    executor are both found."""
    source = "from goals.models import Goal\nGoal.objects.filter(id=1)\n"
    assert set(orm_violations(source)) >= {
        "line 2: .filter",
        "line 2: .objects",
        "imports goals.models",
    }
    http = "import httpx\nfrom urllib.request import urlopen\n"
    assert forbidden_imports(http, HTTP_CLIENTS) == [
        "httpx",
        "urllib.request",
        "urllib.request.urlopen",
    ]


def test_import_linter_catches_a_view_importing_an_executor(tmp_path):
    """Run import-linter on a copy of the tree where a view imports an executor."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "staticfiles", "*.sqlite3*", "tests"),
    )
    view = copy / "goals" / "views.py"
    view.write_text(view.read_text() + "\nfrom goals.executors import goal_create  # noqa\n")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Views do not import executors BROKEN" in result.stdout


# Every executor records what it changed (events/outbox.py): a public executor is an
# `@executor` (never a bare durable transaction, which would write no events), and its
# body reaches `emit`, directly or through the helpers it calls. These write nothing a
# person or a subscriber could see:
SILENT_EXECUTORS = {
    "run_heartbeat": "renews a run's lease; the run's row does not change for anyone",
    "chore_lease_take": "the scheduler's own bookkeeping, owned by nobody",
    "goals_purge_deleted": "removes goals deleted a month ago, which no page shows",
    "delivery_claim": "a worker's lease on a webhook delivery while it sends it",
    "deliveries_requeue": "hands webhook deliveries whose task was lost to the queue again",
    "notice_claim": "a worker's lease on a notice while it sends it",
}
#: Modules whose functions executors call on the way to `emit`.
EVENT_HELPERS = ["goals/standing.py"]


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target)


def functions_in(paths: list[Path]) -> dict[str, ast.FunctionDef]:
    found = {}
    for path in paths:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = node
    return found


def reaches_emit(function: ast.FunctionDef, known: dict[str, ast.FunctionDef], seen=None) -> bool:
    """Whether `function` calls `emit`, or a known function that does (by name)."""
    seen = seen if seen is not None else set()
    seen.add(function.name)
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name == "emit":
            return True
        if name in known and name not in seen and reaches_emit(known[name], known, seen):
            return True
    return False


def executor_functions(source: str) -> tuple[list[str], list[str]]:
    """The module's `@executor` functions, and those that open a durable transaction
    of their own instead."""
    decorated, bare = [], []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        names = [_decorator_name(d) for d in node.decorator_list]
        if "executor" in names:
            decorated.append(node.name)
        if any("durable" in ast.unparse(d) for d in node.decorator_list):
            bare.append(node.name)
    return decorated, bare


EXECUTOR_MODULES = sorted(ROOT.glob("*/executors.py"))


@pytest.mark.parametrize("path", EXECUTOR_MODULES, ids=lambda p: p.parent.name)
def test_every_executor_records_its_events(path):
    known = functions_in([*EXECUTOR_MODULES, *(ROOT / helper for helper in EVENT_HELPERS)])
    decorated, bare = executor_functions(path.read_text())
    assert bare == [], "a durable transaction without @executor writes no events"
    silent = [
        name
        for name in decorated
        if name not in SILENT_EXECUTORS and not reaches_emit(known[name], known)
    ]
    assert silent == []


def test_the_event_check_catches_an_executor_that_records_nothing():
    source = (
        "@executor\ndef quiet(): save()\n\n"
        "@executor\ndef loud(): helper()\n\n"
        "def helper(): emit('x.y', owner_id=1)\n\n"
        "@transaction.atomic(durable=True)\ndef bare(): pass\n"
    )
    tree = ast.parse(source)
    known = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert executor_functions(source) == (["quiet", "loud"], ["bare"])
    assert not reaches_emit(known["quiet"], known)
    assert reaches_emit(known["loud"], known)

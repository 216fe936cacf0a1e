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
APPS = ["accounts", "goals", "measurements", "sources"]

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

"""Settings from the environment: safe defaults, and a deploy check without warnings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "DJANGO_HTTPS", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )


def settings_value(name: str, **env: str) -> str:
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.conf import settings; print(settings.{name})",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SECRET = "s" * 20 + "-real-looking-secret-0123456789-abcdefghij"


def test_deploy_check_passes_with_a_real_secret_and_host():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="goals.example.com",
        EMAIL_URL="smtp+tls://goaltrack:mail-password@smtp.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_and_https_settings_on_by_default():
    assert settings_value("DEBUG", SECRET_KEY=SECRET) == "False"
    assert settings_value("SECURE_SSL_REDIRECT", SECRET_KEY=SECRET) == "True"
    assert settings_value("SESSION_COOKIE_SECURE", SECRET_KEY=SECRET) == "True"


def test_plain_http_on_loopback_switches_the_https_settings_off_together():
    env = {"SECRET_KEY": SECRET, "DJANGO_HTTPS": "0"}
    assert settings_value("SECURE_SSL_REDIRECT", **env) == "False"
    assert settings_value("SECURE_HSTS_SECONDS", **env) == "0"
    assert settings_value("CSRF_COOKIE_SECURE", **env) == "False"


def test_no_secret_with_debug_off_refuses_to_start():
    result = run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_url_selects_postgresql():
    engine = settings_value(
        "DATABASES['default']['ENGINE']",
        SECRET_KEY=SECRET,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/goaltrack",
    )
    assert engine == "django.db.backends.postgresql"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_postgresql_connections_run_without_jit():
    """Compiling the progress reads cost twice running them (a year of quarter-hours:
    120 ms to run, 200 ms more to compile)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)

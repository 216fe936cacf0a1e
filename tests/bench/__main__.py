"""Run every bench on a fresh database and write one markdown report.

    python -m tests.bench [--runs 300] [--warmup 20] [--batches 5] [--csv-rows 1000000]
                          [--streams 500] [--stream-writes 200] [--load-seconds 30]
                          [--load-users 50] [--load-spawn-rate 10] [--only load]
                          [--output bench-report.md]

The database is created for the run and dropped after it, like the test runner's, so
the bench never touches dev data. It is PostgreSQL, the production database; SQLite
numbers say little about production, so they need `BENCH_ALLOW_SQLITE=1`.
"""

import argparse
import datetime as dt
import importlib
import inspect
import os
import platform
import sys
from pathlib import Path

BENCHES = (
    "tests.bench.record",
    "tests.bench.ingest",
    "tests.bench.csv_import",
    "tests.bench.live",
    "tests.bench.load",
    "tests.bench.targets",
    "tests.bench.versus_wger",
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=300, help="timed requests per path")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per path first")
    parser.add_argument(
        "--batches", type=int, default=5, help="timed batches of 10,000 for batch ingest"
    )
    parser.add_argument(
        "--warmup-batches", type=int, default=1, help="untimed batches per path first"
    )
    parser.add_argument(
        "--csv-rows",
        type=int,
        default=1_000_000,
        help="rows of the CSV file imported by the CSV import bench (0 skips it)",
    )
    parser.add_argument(
        "--streams", type=int, default=500, help="idle live streams held by one server process"
    )
    parser.add_argument(
        "--stream-writes",
        type=int,
        default=200,
        help="timed writes per fan-out for commit-to-page latency",
    )
    parser.add_argument(
        "--load-seconds", type=int, default=30, help="measured seconds of the load test"
    )
    parser.add_argument(
        "--load-users", type=int, default=50, help="simulated users of the load test"
    )
    parser.add_argument(
        "--load-spawn-rate",
        type=float,
        default=10,
        help="simulated users started per second before the load test's measured time",
    )
    parser.add_argument(
        "--p2-rows",
        type=int,
        default=1_000_000,
        help="measurements of the big dashboard user of the targets bench (P2, P4)",
    )
    parser.add_argument(
        "--target-runs",
        type=int,
        default=7,
        help="runs per goal of the targets bench, each a ratio (fewer when a goal is slow)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[name.rpartition(".")[2] for name in BENCHES],
        help="run only this bench (repeat for several); all of them when left out",
    )
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args()

    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.bench.settings"
    import django
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    django.setup()
    if connection.vendor == "sqlite" and os.environ.get("BENCH_ALLOW_SQLITE") != "1":
        print(
            "The bench runs on PostgreSQL, but DATABASE_URL points to SQLite. Point it to "
            "PostgreSQL (unset, it is postgres://postgres@127.0.0.1:5432/goaltrack), or set "
            "BENCH_ALLOW_SQLITE=1 to time SQLite anyway.",
            file=sys.stderr,
        )
        return 2

    setup_test_environment()
    original_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    # As the served processes do (config/asgi.py), so the paths are timed as they run.
    from config.process import settle

    settle()
    try:
        header = _header(connection, args)
        chosen = [name for name in BENCHES if not args.only or name.rpartition(".")[2] in args.only]
        sections = [_run(importlib.import_module(name), vars(args)) for name in chosen]
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        teardown_test_environment()
    report = "\n\n".join([header, *sections]) + "\n"
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    print(report, end="")
    return 0


def _run(bench, options: dict) -> str:
    """A bench's `run`, given the options it takes (`runs` and `warmup` for request
    paths, `batches` and `warmup_batches` for batch ingest, `csv_rows` for the CSV
    import, `streams` and `stream_writes` for the live pages)."""
    taken = inspect.signature(bench.run).parameters
    return bench.run(**{name: value for name, value in options.items() if name in taken})


def _header(connection, args) -> str:
    import django

    version = ".".join(str(part) for part in connection.get_database_version())
    return "\n".join(
        [
            "# Goaltrack benchmarks",
            "",
            f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            f"- Database: {connection.display_name} {version}, "
            f"`{connection.settings_dict['NAME']}` (created for this run)",
            f"- Django {django.get_version()}, Python {platform.python_version()}",
            f"- N = {args.runs} timed requests per path, interleaved, "
            f"after {args.warmup} warm-up requests each; batch ingest: {args.batches} timed "
            f"batches per path, after {args.warmup_batches} warm-up; CSV import: "
            f"{args.csv_rows:,} rows",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())

"""A served process settles once its code is loaded: the views are imported and what
start-up made is out of the garbage collector's full scans (config/process.py)."""

import json
import os
import subprocess
import sys

import pytest

CHECK = """
import gc, json, sys
import {module}
print(json.dumps({{
    "frozen": gc.get_freeze_count(),
    "tracked": len(gc.get_objects()),
    "views": "goals.views" in sys.modules and "measurements.api" in sys.modules,
}}))
"""


@pytest.mark.parametrize("module", ["config.asgi", "config.wsgi"])
def test_the_served_application_starts_with_its_start_up_objects_frozen(module):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    found = subprocess.run(
        [sys.executable, "-c", CHECK.format(module=module)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    state = json.loads(found.stdout.strip().splitlines()[-1])
    assert state["views"], "the URLconf was not loaded before freezing"
    assert state["frozen"] > 50_000
    assert state["tracked"] < state["frozen"] / 20

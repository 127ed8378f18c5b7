"""The script's code asset: a deterministic zip of ``open_monitor/`` that Python imports from the zip itself
(``PYTHONPATH`` names the zip, as the processing jobs' Environment does), so ``python3 -m open_monitor`` finds the
package and every module of it imports there (no file read next to ``__file__``, relative imports only)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from sagemaker_constructs.monitoring._open_backend import code_zip

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

IMPORT_ALL = """
import importlib, pkgutil, sys
import open_monitor
assert open_monitor.__file__.startswith(sys.argv[1]), open_monitor.__file__
names = [m.name for m in pkgutil.walk_packages(open_monitor.__path__, "open_monitor.") if m.name != "open_monitor.__main__"]
for name in names:
    importlib.import_module(name)
spec = importlib.util.find_spec("open_monitor.__main__")
assert spec is not None and spec.origin.startswith(sys.argv[1]), spec
print(len(names))
"""


def test_the_zip_is_deterministic_and_holds_the_package_only():
    first = code_zip()
    assert code_zip() == first
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert "open_monitor/__init__.py" in names
        assert "open_monitor/__main__.py" in names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_python_runs_the_package_from_the_zip():
    path = code_zip()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = path
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, path],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr

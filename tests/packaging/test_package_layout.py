"""The package's layout as pyproject.toml declares it: the library in constructs/, the Lambda handler code in the
top-level lambdas/ mapped onto ``sagemaker_constructs._handlers`` (setuptools ``package-dir``, no symbolic link),
every package on disk listed, and the construct finding its asset through the import system.

The wheel and sdist built from this layout are checked in ``test_wheel_user_app.py``.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def _setuptools() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"
    ]["setuptools"]
    return config


def _packages_on_disk(package_dir: dict[str, str]) -> set[str]:
    """The import names of the folders with an ``__init__.py`` under each mapped package's folder."""
    found: set[str] = set()
    for name, folder in package_dir.items():
        root = REPO_ROOT / folder / "sagemaker_constructs" if name == "" else REPO_ROOT / folder
        prefix = name or "sagemaker_constructs"
        for init in root.rglob("__init__.py"):
            found.add(".".join((prefix, *init.parent.relative_to(root).parts)))
    return found


def test_handlers_are_mapped_onto_lambdas_without_a_link() -> None:
    package_dir = _setuptools()["package-dir"]
    assert package_dir == {"": "constructs", "sagemaker_constructs._handlers": "lambdas"}
    links = [path for path in (REPO_ROOT / "constructs").rglob("*") if path.is_symlink()]
    assert links == [], f"the package tree holds symbolic links: {links}"
    assert not (REPO_ROOT / "constructs" / "sagemaker_constructs" / "_handlers").exists()


def test_every_package_on_disk_is_listed() -> None:
    setuptools = _setuptools()
    assert set(setuptools["packages"]) == _packages_on_disk(setuptools["package-dir"])


def test_the_asset_root_is_the_imported_handler_package() -> None:
    from sagemaker_constructs.retraining.retraining_trigger import HANDLER_ROOT

    handlers = importlib.import_module("sagemaker_constructs._handlers")
    assert handlers.__file__ is not None
    assert os.path.realpath(os.path.dirname(handlers.__file__)) == HANDLER_ROOT
    assert Path(HANDLER_ROOT, "retraining_trigger", "handler.py").is_file()

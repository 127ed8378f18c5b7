"""The Lambda handler code that the library ships as function assets: the package ``sagemaker_constructs._handlers``.

The code sits in the repository's top-level ``lambdas/`` (one folder per function); ``pyproject.toml`` maps that
folder onto ``sagemaker_constructs._handlers`` (setuptools ``package-dir``), so the wheel carries it inside the
package and an editable install finds it through setuptools' import hook. The package is located by the import
system, never by a path relative to this file: the two folders need not sit side by side.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import TYPE_CHECKING

__all__ = [
    "HANDLERS_PACKAGE",
    "bandit_contract",
    "handler_root",
    "model_deployer_contract",
    "open_monitor_contract",
    "retraining_trigger_contract",
]

HANDLERS_PACKAGE = "sagemaker_constructs._handlers"
"""The import name of the handler code."""

if TYPE_CHECKING:
    # mypy follows no import hooks: it checks the handler code where it sits, as the package ``lambdas``
    # (pyproject.toml's [tool.mypy]); at run time the same module is imported under its installed name.
    from lambdas.bandit import contract as bandit_contract
    from lambdas.model_deployer import contract as model_deployer_contract
    from lambdas.open_monitor import contract as open_monitor_contract
    from lambdas.retraining_trigger import contract as retraining_trigger_contract
else:
    bandit_contract = importlib.import_module(f"{HANDLERS_PACKAGE}.bandit.contract")
    model_deployer_contract = importlib.import_module(f"{HANDLERS_PACKAGE}.model_deployer.contract")
    open_monitor_contract = importlib.import_module(f"{HANDLERS_PACKAGE}.open_monitor.contract")
    retraining_trigger_contract = importlib.import_module(f"{HANDLERS_PACKAGE}.retraining_trigger.contract")


def handler_root() -> str:
    """The folder of the handler code (the Lambda asset root), with symbolic links resolved.

    :raises ModuleNotFoundError: when the package cannot be imported (an install without the handler code).
    """
    spec = importlib.util.find_spec(HANDLERS_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModuleNotFoundError(
            f"{HANDLERS_PACKAGE} (the Lambda handler code) is not installed with sagemaker_constructs",
            name=HANDLERS_PACKAGE,
        )
    return os.path.realpath(locations[0])

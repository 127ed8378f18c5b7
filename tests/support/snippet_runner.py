"""Runs documentation examples in a process of its own, started in a user's app folder outside the repository.

The examples name files by relative paths (``model_artifacts/churn/model.tar.gz``). CDK resolves an asset's path in
its Node.js process, against the directory that process started in; a Python ``os.chdir`` after ``aws_cdk`` is
imported does not move it. So the examples run here, in a process whose Python and Node.js both start in the
user's folder, as ``cdk synth`` runs a user's ``app.py``.

Protocol, one JSON object per line: the test writes ``{"code", "filename", "context"}`` to stdin; this process
builds ``stack = Stack(App(context=context), "Docs")``, runs the code with what it prints captured, adds cdk-nag's
AwsSolutions checks, synthesizes, and answers ``{"template", "printed", "error"}`` (``error`` is the traceback of
a failed example, else ``null``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback
from typing import Any


def run_example(code: str, filename: str, context: dict[str, Any]) -> dict[str, Any]:
    """Run one example as the body of a stack; its template, what it printed, and the traceback if it failed."""
    from aws_cdk import App, Stack, Validations
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    printed = io.StringIO()
    try:
        app = App(context=context)
        stack = Stack(app, "Docs")
        with contextlib.redirect_stdout(printed):
            exec(compile(code, filename, "exec"), {"stack": stack, "__name__": "docs_example"})
        # Examples must also pass cdk-nag AwsSolutions, as the reference app does.
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        template = Template.from_stack(stack).to_json()
    except Exception:
        return {"template": None, "printed": printed.getvalue(), "error": traceback.format_exc()}
    return {"template": template, "printed": printed.getvalue(), "error": None}


def main() -> None:
    """Answer each request line on stdin with one line on stdout, until stdin closes."""
    answers = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        answer = run_example(request["code"], request["filename"], request["context"])
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()

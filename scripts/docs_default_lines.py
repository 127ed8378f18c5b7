"""A griffe extension for the API reference (mkdocs.yml): each ``Default:`` of a docstring on a line of its own.

The docstrings state an optional prop's default as jsii does, at the end of its description:
``:param kms_key: encrypts the volumes. Default: - an AWS managed key.`` Rendered as is, the default disappears into
the sentence before it; this extension starts it on a new line, in bold, so a reader scanning the parameters sees
it. A ``Default:`` inside a sentence, such as ``(Default: ``NOT_BREACHING``; ...)``, is left alone. Only the
rendered text changes: the docstrings keep the house style.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

_DEFAULT = re.compile(r"[ \t]*\n?[ \t]*\bDefault:[ \t]*")
_SENTENCE_END = ".:;!?)]`'\""


def _rewrite(match: re.Match[str]) -> str:
    before = match.string[: match.start()]
    wrapped = "\n" in match.group()
    if not before.strip() or (wrapped and before.endswith("\n")):
        # It begins the docstring or a paragraph: already on a line of its own.
        return match.group()[: match.group().index("Default:")] + "**Default:** "
    if wrapped or before[-1] in _SENTENCE_END:
        return "<br>**Default:** "
    return match.group()


def default_on_own_line(text: str) -> str:
    """The docstring with each ``Default:`` that follows a sentence or begins a line on a new line, in bold."""
    return _DEFAULT.sub(_rewrite, text)


class DefaultLines(Extension):
    """Rewrites the ``Default:`` of every docstring griffe loads, before mkdocstrings parses it."""

    def on_object(self, *, obj: Object, **kwargs: Any) -> None:
        """Called by griffe once per loaded object (module, class, function, attribute)."""
        if obj.docstring is not None:
            obj.docstring.value = default_on_own_line(obj.docstring.value)

"""Run-time type checks of values against the props' annotations, for ``ValidationErrors.check_type``.

Annotations are strings under ``from __future__ import annotations``: they are resolved in their module's namespace,
and parts that cannot be checked at run time (a Protocol or jsii interface, a name imported only for type
checking) pass. Unresolved CDK tokens pass too: they are only known at deploy time.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import math
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Size, Token


def is_token(value: Any) -> bool:
    """Return True when ``value`` (or, for a sequence, any item) is an unresolved CDK token."""
    if value is None:
        return False
    if isinstance(value, Duration | Size):
        # Durations and sizes built from tokens cannot be converted at synth time.
        return Token.is_unresolved(value.to_string())
    if isinstance(value, float) and not math.isfinite(value):
        # Never a token; and jsii cannot even send NaN or an infinity to ask (its kernel dies on them).
        return False
    if isinstance(value, str | int | float):
        return Token.is_unresolved(value)
    return False


_UNCHECKED = object()
"""Stands for an annotation that cannot be checked at run time (a Protocol or jsii interface, a callable)."""


def _resolve(annotation: Any, namespace: Mapping[str, Any]) -> Any:
    """An annotation as a type (they are strings under ``from __future__ import annotations``), or _UNCHECKED."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, dict(namespace))  # the library's own annotations, never user input
    except Exception:  # a name imported only for type checking
        return _UNCHECKED


@functools.cache
def field_hints(cls: type) -> tuple[tuple[str, Any], ...]:
    namespace = vars(sys.modules[cls.__module__])
    return tuple((f.name, _resolve(f.type, namespace)) for f in dataclasses.fields(cls) if f.init)


@functools.cache
def argument_hints(function: Callable[..., Any]) -> dict[str, Any]:
    namespace = getattr(function, "__globals__", {})
    annotations = getattr(function, "__annotations__", {})
    return {name: _resolve(a, namespace) for name, a in annotations.items() if name != "return"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the type ``hint`` allows (parts that cannot be checked at run time pass)."""
    if hint is _UNCHECKED or hint is Any or hint is object or isinstance(hint, typing.TypeVar):
        return True
    if hint is None or hint is type(None):
        return value is None
    if is_token(value):
        return True
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin is collections.abc.Callable:
        return callable(value)
    if origin in (list, tuple, collections.abc.Sequence, typing.Sequence):
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            return False
        item = args[0] if args and not (origin is tuple and len(args) != 2) else Any
        return all(conforms(v, item) for v in value)
    if origin in (dict, collections.abc.Mapping, typing.Mapping):
        if not isinstance(value, Mapping):
            return False
        key, val = args if len(args) == 2 else (Any, Any)
        return all(conforms(k, key) and conforms(v, val) for k, v in value.items())
    if origin is not None:
        hint = origin
    if hint is bool:
        return isinstance(value, bool)
    if hint is int or hint is float:
        # Whole-number and range rules are value checks (check_range): 2.0 for a count is a value question.
        return _is_number(value)
    if not isinstance(hint, type):
        return True
    if getattr(hint, "_is_protocol", False):
        return True  # a Python Protocol or jsii interface: implemented structurally, not checkable here
    return isinstance(value, hint)


def sequence_item(hint: Any) -> Any:
    """The item type of a (possibly optional) sequence annotation, or None."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        items = [sequence_item(a) for a in args if a is not type(None)]
        return items[0] if len(items) == 1 else None
    if origin in (list, collections.abc.Sequence, typing.Sequence) and args:
        return args[0]
    return None


def noun(hint: Any) -> str:
    """What a value of type ``hint`` is called in a message: 'a number', 'a Duration', 'a list of strings'."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [noun(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(options))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (list, tuple, collections.abc.Sequence, typing.Sequence):
        if not args:
            return "a list"
        item_origin = typing.get_origin(args[0])
        members = typing.get_args(args[0]) if item_origin in (typing.Union, types.UnionType) else (args[0],)
        return "a list of " + " or ".join(dict.fromkeys(_plural(noun(m)) for m in members))
    if origin in (dict, collections.abc.Mapping, typing.Mapping):
        key, val = (noun(a) for a in args) if len(args) == 2 else ("anything", "anything")
        return f"a mapping of {_plural(key)} to {_plural(val)}"
    if origin is collections.abc.Callable:
        return "a function"
    if hint is bool:
        return "True or False"
    if hint is int or hint is float:
        return "a number"
    if hint is str:
        return "a string"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        article = "an" if hint.__name__[:1] in "AEIOU" else "a"
        return f"{article} {hint.__name__} (e.g. {hint.__name__}.{next(iter(hint)).name})"
    name = getattr(hint, "__name__", str(hint))
    return f"an {name}" if name[:1] in "AEIOU" else f"a {name}"


def _plural(noun: str) -> str:
    for article in ("a ", "an "):
        if noun.startswith(article):
            word = noun[len(article) :]
            head, sep, tail = word.partition(" ")
            return f"{head}s{sep}{tail}" if not head.endswith("s") else word
    return noun


def is_own_value_class(value: Any) -> bool:
    return (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and (type(value).__module__.split(".")[0] == __name__.split(".")[0])
    )

"""Requests checked against botocore's service models as the service would check them: types, required and
unknown members, enums, patterns, lengths and numeric ranges."""

from __future__ import annotations

from typing import Any


def _fullmatch(pattern: str, value: str) -> bool:
    """``re.fullmatch``, or the ``regex`` module for the Unicode classes (``\\p{L}``) some AWS patterns use."""
    import re

    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        import regex  # installed with cfn-lint

        return regex.fullmatch(pattern, value) is not None


def service_model_problems(service: str, operation: str, request: dict[str, Any]) -> list[str]:
    """Every way ``request`` breaks botocore's model of ``service.operation``.

    botocore's own client-side validation checks types and required members only; this also checks enums,
    patterns, lengths, numeric ranges and unknown members, as the service would.
    """

    import botocore.session

    shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    problems: list[str] = []

    def check(value: Any, shape: Any, path: str) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if not isinstance(value, dict):
                problems.append(f"{path}: expected an object, got {value!r}")
                return
            for name in shape.required_members:
                if name not in value:
                    problems.append(f"{path}.{name}: required")
            for name, item in value.items():
                if name not in shape.members:
                    problems.append(f"{path}.{name}: unknown member")
                else:
                    check(item, shape.members[name], f"{path}.{name}")
        elif kind == "list":
            if not isinstance(value, list):
                problems.append(f"{path}: expected a list")
                return
            if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
                problems.append(f"{path}: {len(value)} items outside {meta.get('min')}-{meta.get('max')}")
            for i, item in enumerate(value):
                check(item, shape.member, f"{path}[{i}]")
        elif kind == "map":
            if not isinstance(value, dict):
                problems.append(f"{path}: expected a map")
                return
            if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
                problems.append(f"{path}: {len(value)} entries outside {meta.get('min')}-{meta.get('max')}")
            for key, item in value.items():
                check(key, shape.key, f"{path} key")
                check(item, shape.value, f"{path}[{key!r}]")
        elif kind == "string":
            if not isinstance(value, str):
                problems.append(f"{path}: expected a string, got {value!r}")
                return
            if shape.enum and value not in shape.enum:
                problems.append(f"{path}: {value!r} is not one of {shape.enum}")
            if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
                problems.append(f"{path}: length {len(value)} outside {meta.get('min')}-{meta.get('max')}")
            if "pattern" in meta and not _fullmatch(meta["pattern"], value):
                problems.append(f"{path}: {value!r} does not match {meta['pattern']}")
        elif kind in ("integer", "long", "float", "double"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{path}: expected a number, got {value!r}")
                return
            if ("min" in meta and value < meta["min"]) or ("max" in meta and value > meta["max"]):
                problems.append(f"{path}: {value} outside {meta.get('min')}-{meta.get('max')}")
        elif kind == "boolean" and not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, got {value!r}")

    check(request, shape, operation)
    return problems

"""Compare the *shape* of two JSON documents: keys, nesting, value types, header names.

Used by the sandbox contract tests: a sandbox payload must look like the real capture it imitates.
"""

from __future__ import annotations

from typing import Any

JSONType = str


def type_name(value: Any) -> JSONType:
    """JSON type of a value; ints and floats are both "number" (real feeds mix them: 1 vs 1.0)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(type(value))


def shape_differences(real: Any, ours: Any, path: str = "$", *, nullable_ok: bool = True) -> list[str]:
    """Every place where ``ours`` differs in structure from ``real``.

    Objects must have the same keys; arrays are compared element-wise against the union of the
    real array's element shapes (the first element of each type). A null on either side matches any
    type when ``nullable_ok`` (real feeds leave optional fields null).
    """
    real_t, ours_t = type_name(real), type_name(ours)
    if real_t != ours_t:
        if nullable_ok and "null" in (real_t, ours_t):
            return []
        return [f"{path}: real is {real_t}, ours is {ours_t}"]
    if real_t == "object":
        diffs = [f"{path}: key {k!r} missing" for k in real if k not in ours]
        diffs += [f"{path}: unexpected key {k!r}" for k in ours if k not in real]
        for key in real:
            if key in ours:
                diffs += shape_differences(real[key], ours[key], f"{path}.{key}", nullable_ok=nullable_ok)
        return diffs
    if real_t == "array":
        if not real or not ours:
            return []
        template = next((x for x in real if x is not None), real[0])
        diffs = []
        for i, item in enumerate(ours[:50]):
            diffs += shape_differences(template, item, f"{path}[{i}]", nullable_ok=nullable_ok)
        return diffs
    return []

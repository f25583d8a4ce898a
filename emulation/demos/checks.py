"""What a demo step expects of an answer: dotted paths into JSON, matchers, selections."""

from __future__ import annotations

import json
import re
from typing import Any

from emulation.demos.context import DemoError
from emulation.demos.spec import Expect, Selection

MISSING = object()
_FILTER = re.compile(r"^\[([^=~\]]+)([=~])([^\]]*)\]$")


def lookup(value: Any, path: str) -> Any:
    """``a.b.0.c``; ``[key=value]`` picks the first list item whose key equals value, ``[key~part]`` contains."""
    if not path:
        return value
    for part in _split(path):
        found = _FILTER.match(part)
        if found and isinstance(value, list):
            key, op, wanted = found.groups()
            value = next((item for item in value if _filter_ok(lookup(item, key), op, wanted)), MISSING)
        elif isinstance(value, dict):
            value = value.get(part, MISSING)
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            value = MISSING
        if value is MISSING:
            return MISSING
    return value


def _split(path: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in path:
        if ch == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        current += ch
    return [*parts, current]


def _filter_ok(actual: Any, op: str, wanted: str) -> bool:
    if actual is MISSING:
        return False
    return str(actual) == wanted if op == "=" else wanted in str(actual)


def matches(actual: Any, wanted: Any, captures: dict[str, Any]) -> str | None:
    """None when ``actual`` satisfies ``wanted``, else what is wrong. Regex named groups go to captures."""
    if actual is MISSING:
        return "is missing"
    if isinstance(wanted, dict) and wanted and set(wanted) <= {"gte", "lte", "contains", "regex", "startswith"}:
        for op, operand in wanted.items():
            problem = _check(op, actual, operand, captures)
            if problem:
                return problem
        return None
    return None if actual == wanted else f"is {_short(actual)}, expected {_short(wanted)}"


def _check(op: str, actual: Any, operand: Any, captures: dict[str, Any]) -> str | None:
    if op in ("gte", "lte"):
        if isinstance(actual, list):  # of a list: how many
            actual = len(actual)
        if not isinstance(actual, int | float):
            return f"is {_short(actual)}, expected a number"
        ok = actual >= operand if op == "gte" else actual <= operand
        return None if ok else f"is {actual}, expected {'>=' if op == 'gte' else '<='} {operand}"
    text = actual if isinstance(actual, str) else json.dumps(actual)
    if op == "contains":
        return None if str(operand) in text else f"is {_short(text)}, expected it to contain {operand!r}"
    if op == "startswith":
        return None if text.startswith(str(operand)) else f"is {_short(text)}, expected it to start with {operand!r}"
    found = re.search(operand, text)
    if not found:
        return f"is {_short(text)}, expected it to match /{operand}/"
    captures.update({k: v for k, v in found.groupdict().items() if v is not None})
    return None


def _short(value: Any, n: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return repr(text if len(text) <= n else text[: n - 1] + "…")


def _selected(value: Any, selection: Selection) -> list[Any]:
    items = lookup(value, selection.in_)
    if not isinstance(items, list):
        raise DemoError(f"{selection.in_ or 'the answer'} is not a list")
    return [item for item in items if all(matches(lookup(item, path), wanted, {}) is None
                                          for path, wanted in selection.where.items())]


def evaluate(expect: Expect, status: int, value: Any) -> tuple[Any, dict[str, Any]]:
    """Check an answer; returns the value the checks saw (after find/collect) and the captures."""
    if expect.status is not None and status != expect.status:
        raise DemoError(f"HTTP status {status}, expected {expect.status}: {_short(value)}")
    if expect.find is not None:
        found = _selected(value, expect.find)
        if not found:
            raise DemoError(f"nothing in {expect.find.in_ or 'the answer'} matches {expect.find.where}")
        value = found[0]
    if expect.collect is not None:
        field = expect.collect.field or ""
        value = sorted(lookup(item, field) for item in _selected(value, expect.collect))
    captures: dict[str, Any] = {}
    for path, wanted in expect.json_checks.items():
        problem = matches(lookup(value, path), wanted, captures)
        if problem:
            raise DemoError(f"{path} {problem}")
    if expect.equals is not None and value != expect.equals:
        raise DemoError(f"got {_short(value, 400)}, expected {_short(expect.equals, 400)}")
    return value, captures

"""Reading request parts the same way on every route: a JSON body, a limit, an enum filter."""

from __future__ import annotations

import json
from enum import Enum
from typing import TypeVar

from services.core.errors import ValidationError

MAX_LIMIT = 100
E = TypeVar("E", bound=Enum)


def json_body(raw: str | None) -> object:
    if not raw:
        raise ValidationError.for_field("body", "is required (a JSON object)")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError.for_field("body", f"is not valid JSON ({exc.msg} at position {exc.pos})") from exc


def enum_param(kind: type[E], raw: str | None, field: str) -> E | None:
    if raw in (None, ""):
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise ValidationError.for_field(field, f"must be one of {', '.join(k.value for k in kind)}") from exc


def limit_param(raw: str | None, default: int = 50) -> int:
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationError.for_field("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)

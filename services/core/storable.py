"""What DynamoDB and SNS accept, checked at the boundary before anything is stored or published.

A request that DynamoDB or SNS would refuse must be a 400 naming the field, not a 500 from boto3's
serializer (``decimal.Rounded`` for a 39-digit number), a 500 from DynamoDB (``ValidationException``)
or a 502 after the message was already stored. The limits (AWS quotas for DynamoDB and SNS):

* numbers: at most 38 significant digits, magnitude 1E-130 to 9.99…E+125, no NaN or Infinity
  (checked exactly as boto3's serializer does, plus DynamoDB's own range);
* map keys (nested attribute names) are not empty; strings are valid Unicode (no lone surrogates,
  which have no UTF-8 form);
* nested attributes: at most 32 levels deep (a top-level attribute holding a map is level 1);
* an item: at most 400 KB, counted as DynamoDB does (names and values in UTF-8, numbers about
  one byte per two digits, 3 bytes per map or list plus 1 per element);
* an SNS message: at most 256 KB, body and message attributes.

Problems are ``FieldProblem``s with the field's path (``payload.extra.0``), at most a few per answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from decimal import Decimal, DecimalException
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT

from services.core.errors import FieldProblem, ValidationError

MAX_DEPTH = 32
MAX_ITEM_BYTES = 400 * 1024
MAX_SNS_BYTES = 256 * 1024
MAX_PROBLEMS = 5
_NUMBER = "must be a number DynamoDB can store (at most 38 significant digits, magnitude 1e-130 to 9.99e125)"
_SEGMENT_CHARS = 40


class _Walk:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, path: str, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(FieldProblem(path or "body", problem))

    def size(self, value: Any, path: str, depth: int) -> int:
        """DynamoDB's size of ``value`` in bytes; records each problem on the way."""
        if len(self.problems) >= MAX_PROBLEMS:
            return 0
        if isinstance(value, str):
            return self._text(value, path)
        if value is None or isinstance(value, bool):
            return 1
        if isinstance(value, int | float | Decimal):
            return self._number(value, path)
        if isinstance(value, Mapping | list | tuple):
            if depth + 1 > MAX_DEPTH:
                self.add(path, f"is nested more than {MAX_DEPTH} levels deep (DynamoDB's limit)")
                return 0
            total = 3
            if isinstance(value, Mapping):
                for key, item in value.items():
                    if not isinstance(key, str) or key == "":
                        self.add(path, "has an empty key (DynamoDB map keys must not be empty)")
                        continue
                    child = join(path, key)
                    total += 1 + self._text(key, child) + self.size(item, child, depth + 1)
            else:
                for index, item in enumerate(value):
                    total += 1 + self.size(item, join(path, index), depth + 1)
            return total
        self.add(path, f"has a value of type {type(value).__name__}, which is not JSON")
        return 0

    def _text(self, value: str, path: str) -> int:
        try:
            return len(value.encode("utf-8"))
        except UnicodeEncodeError:
            self.add(path, "must be valid Unicode (it contains a lone surrogate, which has no UTF-8 form)")
            return 0

    def _number(self, value: int | float | Decimal, path: str) -> int:
        if isinstance(value, float) and not math.isfinite(value):
            self.add(path, "must be a finite number (DynamoDB has no NaN or Infinity)")
            return 0
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            self.add(path, "must be a finite number (DynamoDB has no NaN or Infinity)")
            return 0
        if number.is_zero():
            return 1
        try:
            DYNAMODB_CONTEXT.create_decimal(number)  # what boto3's serializer will do
        except DecimalException:
            self.add(path, _NUMBER)
            return 0
        if not -130 <= number.adjusted() <= 125:
            self.add(path, _NUMBER)
            return 0
        return min(21, len(number.normalize().as_tuple().digits) // 2 + 2)


def join(path: str, key: Any) -> str:
    """``path.key`` for error messages: long or unprintable keys are shortened, never echoed raw."""
    text = str(key)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > _SEGMENT_CHARS:
        text = text[:_SEGMENT_CHARS] + "…"
    return f"{path}.{text}" if path else text


def document_problems(value: Any, path: str = "") -> list[FieldProblem]:
    """Problems of a JSON document whose top-level keys become attributes (a request body)."""
    walk = _Walk()
    walk.size(value, path, -1 if isinstance(value, Mapping) else 0)
    return walk.problems


def item_size(item: Mapping[str, Any]) -> int:
    walk = _Walk()
    return sum(len(k.encode("utf-8", "replace")) + walk.size(v, k, 0) for k, v in item.items())


def check_item(item: Mapping[str, Any], *, what: str, rename: Callable[[str], str] = lambda f: f) -> None:
    """Raise ``ValidationError`` unless DynamoDB would store ``item``; fields are named by ``rename``."""
    walk = _Walk()
    sizes = {k: len(k.encode("utf-8", "replace")) + walk.size(v, k, 0) for k, v in item.items() if v is not None}
    problems = [FieldProblem(rename(p.field), p.problem) for p in walk.problems]
    total = sum(sizes.values())
    if not problems and total > MAX_ITEM_BYTES:
        largest = max(sizes, key=lambda k: sizes[k])
        problems.append(FieldProblem(rename(largest), f"makes the {what} {total} bytes; DynamoDB stores items "
                                                      f"of at most {MAX_ITEM_BYTES} bytes (400 KB)"))
    raise_if(problems, what)


def check_sns_message(body: str, attributes: Mapping[str, str], *, what: str, field: str = "payload") -> None:
    """Raise ``ValidationError`` unless SNS would accept the message (body plus attributes)."""
    size = len(body.encode("utf-8")) + sum(len(k) + len("String") + len(v.encode("utf-8"))
                                           for k, v in attributes.items())
    if size > MAX_SNS_BYTES:
        raise_if([FieldProblem(field, f"makes the published {what} {size} bytes; SNS accepts messages of at "
                                      f"most {MAX_SNS_BYTES} bytes (256 KB)")], what)


def published_json(data: Mapping[str, Any]) -> str:
    """The JSON a publisher sends for ``data`` (compact, ASCII-escaped: the size SNS counts)."""
    return json.dumps(data, separators=(",", ":"))


def raise_if(problems: list[FieldProblem], what: str) -> None:
    if problems:
        summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
        raise ValidationError(f"invalid {what}: {summary}", problems)

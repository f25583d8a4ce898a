"""Reading request parts the same way on every route: a JSON body, a limit, an enum filter, an id.

Everything here answers bad input with a ``ValidationError`` naming the part (400), never lets a
parser's own exception through: a binary or non-UTF-8 body (delivered base64-encoded with
``isBase64Encoded``, as API Gateway does), JSON nested past the recursion limit, integers past
Python's digit limit, ``NaN``/``Infinity``, and anything DynamoDB could not store
(``services/core/storable.py``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from enum import Enum
from typing import Any, TypeVar

from services.core.errors import NotFoundError, ValidationError
from services.core.storable import MAX_DEPTH, MAX_SNS_BYTES, document_problems, join, raise_if

MAX_LIMIT = 100
# Nothing larger can be published (SNS takes 256 KB), so nothing larger is read.
MAX_BODY_BYTES = MAX_SNS_BYTES
_LIMIT = re.compile(r"[0-9]{1,3}")  # ASCII digits only: str.isdigit() also accepts "²" and "١"
_ID_SHOWN = 80
E = TypeVar("E", bound=Enum)


class _NotJsonNumber(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJsonNumber(name)


def raw_body(event: Any) -> bytes:
    """The request body as bytes: base64-decoded when API Gateway marked it ``isBase64Encoded``."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError.for_field("body", "is marked base64-encoded but is not valid base64") from exc
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError.for_field("body", "is not valid UTF-8 JSON") from exc


def json_body(event: Any) -> object:
    """The body parsed as JSON and checked to be storable; ``event`` is the powertools event."""
    data = raw_body(event.raw_event if hasattr(event, "raw_event") else event)
    if not data:
        raise ValidationError.for_field("body", "is required (a JSON object)")
    if len(data) > MAX_BODY_BYTES:
        raise ValidationError.for_field("body", f"is {len(data)} bytes; at most {MAX_BODY_BYTES} are accepted "
                                                "(the largest message SNS publishes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError.for_field("body", "is not valid UTF-8 JSON") from exc
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError.for_field("body", f"is not valid JSON ({exc.msg} at position {exc.pos})") from exc
    except _NotJsonNumber as exc:
        raise ValidationError.for_field("body", f"is not valid JSON ({exc} is not a JSON number)") from exc
    except RecursionError as exc:
        raise ValidationError.for_field("body", f"is nested more than {MAX_DEPTH} levels deep") from exc
    except ValueError as exc:  # an integer past sys.get_int_max_str_digits()
        raise ValidationError.for_field("body", "contains a number with too many digits") from exc
    raise_if(document_problems(value), "request")
    return value


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
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationError.for_field("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def known_id(pattern: re.Pattern[str], raw: str, what: str) -> str:
    """A path id of this API's format, else 404 at once: nothing else can exist, and DynamoDB refuses
    keys that are empty or over 2 KB."""
    if not pattern.fullmatch(raw):
        raise NotFoundError(f"{what} not found: {join('', raw[:_ID_SHOWN])}")
    return raw

"""Hypothesis strategies for requests to every route of the web API.

Each route's strategy mixes requests that are valid, nearly valid (one field wrong) and hostile:
bodies that are binary, not UTF-8, truncated, nested past any limit, with integers of thousands of
digits, numbers DynamoDB cannot hold, empty keys, lone surrogates, 300 KB fields; query values that
are non-ASCII digits or forged cursors; path ids of every shape; missing or forged tokens.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

MESSAGE_TYPES = ["hello_world", "notify", "agent_response", "scheduled", "web_action", "schedule_creation"]
QUEUES = ["notifications", "web-actions", "agent-responses", "schedule-creation"]


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    content: bytes | None = None
    content_type: str | None = "application/json"
    auth: str = "user"  # user | none | forged

    def describe(self) -> str:
        body = (self.content or b"")[:300]
        return f"{self.method} {self.path} query={self.query[:6]} type={self.content_type} auth={self.auth} body={body!r}"


# -- JSON values and the text of bodies ------------------------------------------------------------

def _nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from([10**38, 10**40, 1e200, 1e-200, 1e126, -9.99e125, 1e-130, 0.1, "", "\u0000", "é" * 10]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
small_hostile = st.one_of(st.builds(_nested, st.integers(28, 40)), st.just({"": 1}), st.just({"x": {"": [1]}}))
# Sizes around the limits (256 KB body, 256 KB published, 400 KB item): in one slot of a body only.
huge = st.sampled_from([("x", 300_000), ("é", 60_000), ("y", 200_000), ("z", 262_000)]).map(lambda c: c[0] * c[1])
hostile_values = st.one_of(small_hostile, huge)
values = st.one_of(json_values, json_values, json_values, json_values, small_hostile)

# Raw JSON that json.dumps cannot write: each replaces one value of a body.
_RAW_TOKENS = ["NaN", "Infinity", "-Infinity", "9" * 5000, "1" * 41, "1e400", '"\\ud800"', '"\\udfff x"',
               "[" * 3000 + "]" * 3000, "{" * 20 + "}", "tru", '"unterminated']


def _text_body(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def body_bytes(draw: st.DrawFn, template: st.SearchStrategy[Any]) -> tuple[bytes | None, str | None]:
    """A body built from ``template``, or hostile text or bytes, with a content type."""
    kind = draw(st.sampled_from(["json"] * 6 + ["raw-token", "binary", "truncated", "empty", "not-object"]))
    content_type = draw(st.sampled_from(["application/json"] * 4 + ["application/octet-stream", "text/plain", None]))
    if kind == "json":
        return _text_body(draw(template), draw(st.booleans())), content_type
    if kind == "raw-token":
        text, token = json.dumps(draw(template)), draw(st.sampled_from(_RAW_TOKENS))
        if "null" in text:
            text = text.replace("null", token, 1)
        else:
            text = '{"message_type": "notify", "payload": {"message": "x", "extra": ' + token + "}}"
        return text.encode(), content_type
    if kind == "binary":
        data = draw(st.one_of(st.binary(max_size=64), st.just(b"\xff\xfe{\x00}"), st.just(b'{"a": "\xc3"}')))
        return data, draw(st.sampled_from(["application/octet-stream", "application/json", "image/png"]))
    if kind == "truncated":
        text = _text_body(draw(template), True)
        return text[: draw(st.integers(0, max(len(text) - 1, 0)))], content_type
    if kind == "empty":
        return b"", content_type
    return _text_body(draw(st.one_of(st.lists(scalars, max_size=3), scalars)), True), content_type


def _optional(required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]):
    return st.fixed_dictionaries(required, optional=optional)


# -- message bodies --------------------------------------------------------------------------------

_text_or_any = st.one_of(st.text(min_size=1, max_size=40), st.text(max_size=3), values)
notify_payload = _optional({"message": st.one_of(st.text(min_size=1, max_size=40), values)}, {
    "title": _text_or_any, "priority": st.one_of(st.integers(-1, 7), st.sampled_from(["high", "urgent", "x"]), values),
    "tags": st.one_of(st.lists(st.text(max_size=8), max_size=22), values), "extra": values})
_URLS = ["https://api.weather.gov/gridpoints/TOP/31,80/forecast", "http://169.254.169.254/", "file:///etc/passwd",
         "http://[::1/x", "https://birdsfoot.cps.golf/api/tee-times", "not a url", "http://127.0.0.1:1/gridpoints/A/1,1/x"]
_SECRETS = ["rez-agent/mcp/api-key-dev", "rez-agent/golf/credentials-dev", "rez-agent/golf/credentials-prod",
            "rez-agent/../x", "prod/golf", ""]
_TIMES = ["2026-12-01T09:00:00", "2026-12-01T16:00:00", "2026-02-30T09:00:00", "9999-12-31T23:59:59", "07:00"]
web_action_payload = _optional({"action": st.sampled_from(["weather", "golf", "nope"])}, {
    "courseID": st.one_of(st.integers(-1, 3), values), "days": st.one_of(st.integers(0, 8), values),
    "url": st.one_of(st.sampled_from(_URLS), st.text(max_size=20)), "gridpoint": st.sampled_from(["PBZ/95,64", "x"]),
    "startSearchTime": st.one_of(st.sampled_from(_TIMES), values), "endSearchTime": st.sampled_from(_TIMES),
    "numberOfPlayers": st.one_of(st.integers(0, 5), values), "teeSheetID": st.one_of(st.integers(-1, 10**12), values),
    "maxResults": st.integers(0, 21), "autoBook": st.one_of(st.booleans(), values),
    "auth_config": _optional({}, {"type": st.sampled_from(["none", "oauth_password", "api_key", "x"]),
                                  "secret_name": st.one_of(st.sampled_from(_SECRETS), values),
                                  "token_url": st.just("https://evil.example/token")}),
})
arguments = st.one_of(st.none(), _optional({}, {"operation": st.one_of(st.sampled_from(
    ["get_weather", "search_tee_times", "book_tee_time", "fetch_reservations", "agentEvent", "create"]), values)}),
    values)
# Valid requests, and valid requests with one hostile value: what reaches storage and SNS.
_words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)
valid_notify = st.fixed_dictionaries(
    {"message_type": st.sampled_from(["notify", "hello_world", "agent_response"]),
     "payload": _optional({"message": _words}, {"title": _words, "priority": st.integers(1, 5),
                                                "tags": st.lists(st.text(max_size=8), max_size=3)})},
    optional={"stage": st.sampled_from(["dev", "prod"])})
valid_weather = st.fixed_dictionaries({
    "message_type": st.just("web_action"), "arguments": st.just({"operation": "get_weather"}),
    "payload": _optional({"action": st.just("weather"), "courseID": st.sampled_from([1, 2])},
                         {"days": st.integers(1, 7)})})


@st.composite
def with_one_hostile(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    body = draw(base)
    payload = dict(body.get("payload") or {})
    payload[draw(st.sampled_from(["extra", "message", "title", ""]))] = draw(hostile_values | values)
    return {**body, "payload": payload}


message_body = st.one_of(valid_notify, valid_weather, with_one_hostile(valid_notify), _optional({}, {
    "message_type": st.one_of(st.sampled_from(MESSAGE_TYPES), st.text(max_size=10)),
    "payload": st.one_of(notify_payload, notify_payload, web_action_payload, values),
    "arguments": arguments, "stage": st.sampled_from(["dev", "prod", "stage", "", "x"]),
    "auth_config": values, "version": _text_or_any,
}))

# -- schedule commands -----------------------------------------------------------------------------

_EXPRESSIONS = ["rate(1 hour)", "rate(0 minutes)", "rate(5 fortnights)", "cron(0 7 * * ? *)", "cron(0 7 * * *)",
                "cron(0 12 L * ? 2027)", "at(2027-01-01T00:00:00)", "at(9999-12-31T23:59:59)",
                "at(2027-02-30T00:00:00)", "every tuesday-ish", ""]
_ZONES = ["UTC", "America/New_York", "Etc/GMT+12", "Pacific/Kiritimati", "Nope/Zone", "", "../../etc/passwd", "\u0000"]
_DATES = ["2027-01-01T00:00:00Z", "2026-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
          "9999-12-31T23:59:59Z", "2027-01-01T00:00:00", "yesterday"]


def schedule_body(known_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    ids = st.one_of(st.sampled_from(known_ids or ["sched_20270101000000_0123abcd"]),
                    st.sampled_from(["sched_20200101000000_00000000", "sched_x", ""]), st.text(max_size=12))
    valid = st.fixed_dictionaries(
        {"action": st.just("create"), "name": _words, "target_type": st.just("notification"),
         "schedule_expression": st.sampled_from(["rate(1 hour)", "cron(0 7 * * ? *)", "at(2030-01-01T00:00:00)"]),
         "payload": st.fixed_dictionaries({"message": _words})},
        optional={"timezone": st.sampled_from(["UTC", "America/New_York"]), "description": _words,
                  "start_date": st.sampled_from(_DATES[:2]), "flexible_window_minutes": st.integers(0, 60)})
    commands = st.fixed_dictionaries({"action": st.sampled_from(["pause", "resume", "update"]), "schedule_id": ids},
                                     optional={"description": _text_or_any, "schedule_expression": st.sampled_from(
                                         _EXPRESSIONS), "payload": st.one_of(notify_payload, values)})
    return st.one_of(valid, with_one_hostile(valid), commands, _fuzzy_schedule(ids))


def _fuzzy_schedule(ids: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return _optional({"action": st.one_of(st.sampled_from(["create", "create", "update", "delete", "pause", "resume",
                                                           "execute"]), st.text(max_size=6))}, {
        "name": st.one_of(st.text(min_size=1, max_size=30), st.just("  "), values),
        "schedule_expression": st.one_of(st.sampled_from(_EXPRESSIONS), values),
        "timezone": st.one_of(st.sampled_from(_ZONES), values),
        "target_type": st.one_of(st.sampled_from(["notification", "web_action", "scheduled", "x"]), values),
        "payload": st.one_of(notify_payload, web_action_payload, values),
        "arguments": arguments, "operation": st.one_of(st.sampled_from(["agentEvent", "get_weather"]), values),
        "start_date": st.one_of(st.sampled_from(_DATES), values), "end_date": st.one_of(st.sampled_from(_DATES), values),
        "flexible_window_minutes": st.one_of(st.integers(-1, 1500), values), "run_now": st.one_of(st.booleans(), values),
        "description": _text_or_any, "schedule_id": ids,
    })


# -- query strings and path ids --------------------------------------------------------------------

def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


_CURSORS = st.one_of(
    st.text(max_size=20), st.sampled_from(["e30", "!!!", "é", "AAAA", ""]),
    st.builds(_cursor, json_values),
    st.builds(lambda s, d: _cursor({"id": {"S": "msg_20260101000000_000001"}, "stage": {"S": s},
                                    "created_date": {"S": d}}), st.sampled_from(["dev", "prod", ""]), st.text(max_size=5)),
    st.builds(lambda s: _cursor({"id": {"S": "sched_20260101000000_00000001"}, "status": {"S": s},
                                 "created_date": {"S": "2026"}}), st.sampled_from(["active", "paused", "x"])),
)
_LIMITS = st.one_of(st.integers(-2, 150).map(str), st.sampled_from(["²", "١٢", "1.5", " 5", "5\n", "", "0x10", "1e2"]),
                    st.text(max_size=4))


def query(names: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[list[tuple[str, str]]]:
    pair = st.one_of(*(st.tuples(st.just(name), values_) for name, values_ in names.items()),
                     st.tuples(st.text(max_size=6), st.text(max_size=6)))
    return st.lists(pair, max_size=4)


MESSAGE_QUERY = {"stage": st.sampled_from(["dev", "prod", "stage", "", "DEV", "x"]),
                 "status": st.sampled_from(["queued", "completed", "failed", "x", ""]),
                 "message_type": st.sampled_from(MESSAGE_TYPES + ["x"]), "limit": _LIMITS, "cursor": _CURSORS}
SCHEDULE_QUERY = {"status": st.sampled_from(["active", "paused", "pending", "deleted", "x", ""]), "limit": _LIMITS,
                  "cursor": _CURSORS}
ANY_QUERY = {"x": st.text(max_size=10)}


def path_ids(known: list[str], prefix: str) -> st.SearchStrategy[str]:
    raw = st.one_of(st.sampled_from(known or [f"{prefix}_20200101000000_000000"]),
                    st.builds(lambda d: f"{prefix}_{d}", st.text(alphabet="0123456789abcdef_١", max_size=24)),
                    st.text(min_size=1, max_size=20), st.just("x" * 3000))
    return st.one_of(raw.map(lambda s: quote(s, safe="")), st.sampled_from(["%ff", "%00", "%C3%28", "a%2Fb", "%"]))


def auth() -> st.SearchStrategy[str]:
    return st.sampled_from(["user"] * 18 + ["none", "forged"])

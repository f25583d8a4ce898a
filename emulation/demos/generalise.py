"""Recorded model turns that still fit when the outside world hands out other ids.

A recorded turn that answered tool results copies values out of them (tee sheet ids, tee times,
confirmation codes). Replayed verbatim, the model would book the recorded tee sheet and announce
the recorded confirmation, whatever the course answered this time. So each value the answer
copied becomes a capture of the scripted backend: the turn's matcher finds it in the tool result
by its shape and place (the n-th id, the n-th time of day), and the answer says ``${v1}`` there.

LIMITATIONS: a value is found again only if the tool result keeps its structure (same number of
values of that shape before it); values the model computed rather than copied stay as recorded.
"""

from __future__ import annotations

import json
import re
from typing import Any

from emulation.fakes.bedrock.wire import ConverseRequest

# What the outside world hands out: ids, confirmation codes, times of the day (tee sheets differ by date).
SHAPES = (r"(?<![\w-])\d{5,}(?![\w-])", r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8,}\b",
          r"\b\d{1,2}:\d{2} [AP]M\b")
ID = re.compile("|".join(SHAPES))


def generalise(scenario: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """``scenario`` as made by ``scenario_from_calls`` from ``calls`` (the ones with a response)."""
    known: dict[str, str] = {}
    for turn, call in zip(scenario["turns"], calls, strict=True):
        results = ConverseRequest.model_validate(call["request"]).last_tool_results()
        if results:
            given = "\n".join(r.as_text() for r in results)
            said = (turn.get("text") or "") + json.dumps([u["input"] for u in turn.get("tool_use", [])])
            finders = [_finder(given, token, known) for token in dict.fromkeys(ID.findall(said))
                       if token not in known and token in given]
            finders = [f for f in finders if f]
            if finders:
                turn["match"] = {"tool_result_regex": "".join(finders)}
        if known:
            if turn.get("text"):
                turn["text"] = _substitute(turn["text"], known)
            for use in turn.get("tool_use", []):
                use["input"] = {k: _substitute_value(v, known) for k, v in use["input"].items()}
    return scenario


def _finder(given: str, token: str, known: dict[str, str]) -> str | None:
    """A lookahead capturing what stands where ``token`` stood: the n-th match of its shape."""
    shape = next(p for p in SHAPES if re.fullmatch(p, token))
    positions = [m.start() for m in re.finditer(shape, given)]
    at = given.find(token)
    if at not in positions:
        return None
    nth = positions.index(at)
    name = known[token] = f"v{len(known) + 1}"
    skip = f"(?:[\\s\\S]*?{shape})" * nth
    return f"(?={skip}[\\s\\S]*?(?P<{name}>{shape}))"


def _substitute(text: str, known: dict[str, str]) -> str:
    return ID.sub(lambda m: "${" + known[m[0]] + "}" if m[0] in known else m[0], text)


def _substitute_value(value: Any, known: dict[str, str]) -> Any:
    if isinstance(value, int) and str(value) in known:
        return "${" + known[str(value)] + "}"
    if isinstance(value, str):
        return _substitute(value, known)
    return value

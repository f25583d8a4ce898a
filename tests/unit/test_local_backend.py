"""The local-model lane without the model: the mapping the ``local`` backend puts around the
OpenAI-compatible server (through an httpx transport standing in for llama_cpp.server), the
installer's assembly and pin checks, and the domain knowledge the intent backend derives."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulation.fakes.bedrock.backends import make_backend
from emulation.fakes.bedrock.backends.intent_domain import (
    course_aliases,
    course_ids,
    find_course,
    max_players,
)
from emulation.fakes.bedrock.backends.local import LocalBackend, calendar_hint
from emulation.fakes.bedrock.backends.local_install import assemble
from emulation.fakes.bedrock.backends.local_model import MODEL, Installation
from emulation.fakes.bedrock.wire import parse_request

SYSTEM = ("Current date and time: 2026-12-03 13:00:00 UTC\n"
          "Local time at the golf courses (America/New_York): Thursday 2026-12-03 08:00\nBe brief.")
TOOLS = {"tools": [{"toolSpec": {"name": n, "description": n, "inputSchema": {"json": {
    "type": "object", "properties": {"course_name": {"type": "string"}}}}}}
    for n in ("golf_search_tee_times", "get_weather")]}


def request(messages: list[dict[str, Any]], **extra: Any):
    return parse_request(json.dumps({"system": [{"text": SYSTEM}], "messages": messages, "toolConfig": TOOLS,
                                     "inferenceConfig": {"maxTokens": 4096, "temperature": 0.5}, **extra}).encode())


def backend(answer: dict[str, Any], seen: list[dict[str, Any]]) -> LocalBackend:
    def handle(r: httpx.Request) -> httpx.Response:
        seen.append(json.loads(r.content))
        return httpx.Response(200, json={"choices": [{"message": answer, "finish_reason": "stop"}],
                                         "usage": {"prompt_tokens": 2300, "completion_tokens": 40}})
    client = httpx.Client(base_url="http://llm.test/v1", transport=httpx.MockTransport(handle))
    return LocalBackend(base_url="http://llm.test/v1", client=client)


USER = [{"role": "user", "content": [{"text": "tee times at Birdsfoot tomorrow at 2pm for 2"}]}]


def test_calendar_hint_counts_days_from_the_course_local_date():
    hint = calendar_hint(SYSTEM)
    assert hint.startswith("Calendar: Today = Thursday 2026-12-03; Tomorrow = Friday 2026-12-04;")
    assert "Saturday = Saturday 2026-12-05" in hint and "Thursday = Thursday 2026-12-10" in hint
    assert calendar_hint("no date here") is None


def test_request_mapping_moves_the_clock_next_to_the_user_adds_the_calendar_pins_temperature_caps_tokens():
    seen: list[dict[str, Any]] = []
    backend({"content": "Which course?"}, seen).converse("m", request(USER))
    body = seen[0]
    system, clock, user = body["messages"]
    assert system == {"role": "system", "content": "Be brief."}  # the cacheable prefix no longer changes by the minute
    assert clock["role"] == "system" and clock["content"].startswith("Current date and time: 2026-12-03 13:00:00 UTC")
    assert "Tomorrow = Friday 2026-12-04" in clock["content"] and user["role"] == "user"
    assert body["temperature"] == 0.0 and body["max_tokens"] == 512
    assert [t["function"]["name"] for t in body["tools"]] == ["golf_search_tee_times", "get_weather"]


def test_qwen_tool_call_tags_in_text_become_tool_use_with_real_token_counts():
    text = '<tool_call>\n{"name": "golf_search_tee_times", "arguments": {"course_name": "Birdsfoot"}}\n</tool_call>'
    turn = backend({"content": text}, []).converse("m", request(USER))
    assert turn.stop_reason == "tool_use" and (turn.input_tokens, turn.output_tokens) == (2300, 40)
    [use] = [b.toolUse for b in turn.content if b.toolUse]
    assert use.name == "golf_search_tee_times" and use.input == {"course_name": "Birdsfoot"}


def test_only_the_first_of_parallel_calls_is_kept_and_the_drop_is_said():
    calls = [{"id": f"c{k}", "type": "function", "function": {"name": n, "arguments": "{}"}}
             for k, n in enumerate(("get_weather", "golf_search_tee_times"))]
    turn = backend({"content": "", "tool_calls": calls}, []).converse("m", request(USER))
    assert [b.toolUse.name for b in turn.content if b.toolUse] == ["get_weather"]
    assert any("dropped golf_search_tee_times" in (b.text or "") for b in turn.content)


def test_after_a_tool_result_no_tools_are_offered_and_the_result_is_plain_text():
    seen: list[dict[str, Any]] = []
    messages = USER + [
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "Sunny, 41°F"}]}}]}]
    turn = backend({"content": "Sunny and 41°F."}, seen).converse("m", request(messages))
    assert "tools" not in seen[0] and "Tool get_weather returned:\nSunny, 41°F" in seen[0]["messages"][-1]["content"]
    assert turn.stop_reason == "end_turn"


def test_local_backend_not_installed_is_a_loud_start_up_error(tmp_path, monkeypatch):
    monkeypatch.setenv("REZ_LLM_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="make llm"):
        make_backend("local")


def _wheel(path: Path, package: str, chunks: list[bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for k, data in enumerate(chunks):
            z.writestr(f"{package.split('==')[0].replace('-', '_')}/data/part{k:02d}.bin", data)
    return path


def test_assembly_concatenates_chunks_in_order_and_verifies_the_pin(tmp_path):
    data = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]
    pinned = replace(MODEL, packages=("m-part1==1", "m-part2==1"), size=sum(map(len, data)),
                     sha256=hashlib.sha256(b"".join(data)).hexdigest(), wheel_sha256={})
    inst = Installation(tmp_path, pinned)
    wheels = [("m-part1==1", _wheel(tmp_path / "1.whl", "m-part1==1", data[:2])),
              ("m-part2==1", _wheel(tmp_path / "2.whl", "m-part2==1", data[2:]))]
    assemble(inst, wheels)
    assert inst.model_path.read_bytes() == b"".join(data) and inst.model_verified()
    inst.model_path.write_bytes(b"tampered")
    assert not inst.model_verified()


def test_assembly_refuses_a_model_that_does_not_match_the_pin(tmp_path):
    inst = Installation(tmp_path, replace(MODEL, packages=("m-part1==1",), size=3, sha256="0" * 64))
    with pytest.raises(SystemExit, match="does not match the pin"):
        assemble(inst, [("m-part1==1", _wheel(tmp_path / "1.whl", "m-part1==1", [b"abc"]))])
    assert not inst.model_path.exists() and not inst.model_path.with_suffix(".partial").exists()


def test_intent_domain_comes_from_courses_json_and_the_tool_specs():
    courses = json.loads((Path("services/core/courses.json")).read_text())["courses"]
    assert course_ids() == {c["name"]: c["id"] for c in courses}
    aliases = course_aliases()
    assert {aliases[c["name"].lower()] for c in courses} == {c["name"] for c in courses}
    assert find_course("golf at bird's foot today", aliases) == "Birdsfoot Golf Course"
    assert find_course("tee times at totteridge", aliases) == "Totteridge"
    assert find_course("tee times at pebble beach", aliases) is None
    assert max_players() == 4

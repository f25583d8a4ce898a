"""The seed conversation (search → pick → confirm → book) on the real local model.

Opt-in (``make test-llm``, i.e. ``REZ_TEST_LOCAL_LLM=1``) and only after ``make llm``: one agent
turn of the 1.5B model costs 10-60 s on the 2 shared cores, so the default ``make test`` (and CI,
which runs on this machine where the model may be cached) must not pay for it. Without the opt-in
or the model, every test here is skipped with the reason.

What is asserted is what the agent needs from any model, not the model's wording: the search tool
with the right course, day and window; no booking before a confirmation; the booking of a slot
the search returned; the confirmation number in the final answer. Also the ``openai`` forwarder
against the same real server (the API llama.cpp, vLLM, LM Studio and Ollama's ``/v1`` serve).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from emulation.fakes.bedrock.backends.local_model import installation

_missing = installation().missing()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.local_llm,
    pytest.mark.skipif(not os.environ.get("REZ_TEST_LOCAL_LLM"),
                       reason="opt-in: REZ_TEST_LOCAL_LLM=1 (make test-llm); a local-model turn takes 10-60 s"),
    pytest.mark.skipif(_missing is not None, reason=f"local model not installed: {_missing}"),
]


@pytest.fixture()
def local(stack, api) -> Iterator[str]:
    """The stand-in on the local model, its prompt cache warmed with a request the agent really sends
    (recorded on the intent backend): the first evaluation of the ~2.3k-token system prompt and tools
    can outlast the agent's 120 s read timeout on a busy machine; every later turn reuses it."""
    origin = stack.urls.fakes["bedrock"]
    seq = _seq(origin)
    assert api.post("/agent", json={"message": "hello"}).status_code == 200
    sample = _calls(origin, seq)[0]["request"]
    r = httpx.post(f"{origin}/_fake/bedrock/backend", json={"name": "local"}, timeout=300)
    assert r.status_code == 200, r.text
    from evals.agent_eval import warm_up_local

    warm_up_local(sample)
    yield origin
    httpx.post(f"{origin}/_fake/bedrock/backend", json={"name": "intent"}).raise_for_status()


def _calls(origin: str, since: int) -> list[dict]:
    return httpx.get(f"{origin}/_fake/bedrock/calls", params={"since": since}).json()["calls"]


def _seq(origin: str) -> int:
    calls = _calls(origin, 0)
    return calls[-1]["seq"] if calls else 0


def _tool_uses(calls: list[dict]) -> list[tuple[str, dict]]:
    return [(b["toolUse"]["name"], b["toolUse"]["input"]) for c in calls if "response" in c
            for b in c["response"]["output"]["message"]["content"] if "toolUse" in b]


def _results(calls: list[dict]) -> str:
    return "\n".join(p.get("text", "") for c in calls for b in c["request"]["messages"][-1]["content"]
                     if "toolResult" in b for p in b["toolResult"]["content"])


def test_seed_conversation_on_the_local_model(api, control, local):
    now = datetime.fromisoformat(control.get("/_rez/clock").json()["now"].replace("Z", "+00:00"))
    day = (now + timedelta(days=1)).strftime("%Y-%m-%d")
    api.timeout = httpx.Timeout(300)

    seq = _seq(local)
    found = api.post("/agent", json={"message": f"Search tee times for tomorrow ({day}) between 1pm and 4pm "
                                                f"at Birdsfoot for 2 players"})
    assert found.status_code == 200, found.text
    session = found.json()["session_id"]
    calls = _calls(local, seq)
    name, args = _tool_uses(calls)[0]
    assert name == "golf_search_tee_times"
    assert args["course_name"] == "Birdsfoot Golf Course" and args["num_players"] == 2
    assert args["start_time"].startswith(day) and args["start_time"][11:16] <= "14:00" <= args["end_time"][11:16]
    listed = _results(calls)
    sheets = re.findall(r"Tee Sheet ID: (\d+)", listed)
    assert sheets, listed

    seq = _seq(local)
    confirm = api.post("/agent", json={"message": "Book the first one", "session_id": session})
    assert confirm.status_code == 200, confirm.text
    assert "golf_book_tee_time" not in [n for n, _ in _tool_uses(_calls(local, seq))], "booked without asking"

    seq = _seq(local)
    booked = api.post("/agent", json={"message": "yes", "session_id": session})
    assert booked.status_code == 200, booked.text
    uses = _tool_uses(_calls(local, seq))
    assert uses and uses[0][0] == "golf_book_tee_time", uses
    assert str(uses[0][1]["tee_sheet_id"]) in sheets
    confirmation = re.search(r"Confirmation:\s*(\S+)", _results(_calls(local, seq)))
    assert confirmation and confirmation.group(1) in booked.json()["message"]


def test_openai_forwarder_against_the_real_server(local):
    from emulation.fakes.bedrock.backends.local_server import shared_server
    from emulation.fakes.bedrock.backends.openai import OpenAIBackend
    from emulation.fakes.bedrock.wire import parse_request

    backend = OpenAIBackend(base_url=shared_server().base_url, salvage_tool_calls=True)
    assert backend.describe()["ok"] and "local" in backend.describe()["models"]
    req = parse_request(b'{"messages": [{"role": "user", "content": [{"text": "Say hello in one word."}]}],'
                        b'"inferenceConfig": {"maxTokens": 16, "temperature": 0}}')
    turn = backend.converse("any", req)
    assert turn.stop_reason in ("end_turn", "max_tokens") and turn.content[0].text.strip()
    assert turn.input_tokens and turn.output_tokens

"""Contract tests of the local Bedrock Converse fake, driven through a REAL boto3 client.

Every test talks HTTP to the app served by uvicorn on 127.0.0.1 (free port), exactly as the agent
does in production; the Ollama and OpenAI backends are pointed at small fake servers written
here (no real model, no network beyond 127.0.0.1).
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import uvicorn
from botocore.config import Config
from botocore.exceptions import ClientError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulation.fakes.bedrock import create_bedrock_app, make_backend
from emulation.fakes.bedrock.backends.scenarios import DEFAULT_SCENARIO_DIR, load_scenarios

MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
PROFILE_ARN = (
    "arn:aws:bedrock:us-east-1:944945738659:inference-profile/global.anthropic.claude-sonnet-4-20250514-v1:0"
)
SEARCH_SPEC = {
    "name": "golf_search_tee_times",
    "description": "Search tee times",
    "inputSchema": {
        "json": {
            "type": "object",
            "properties": {
                "course_name": {"type": "string"},
                "start_time": {"type": "string"},
                "end_time": {"type": "string"},
                "num_players": {"type": "integer"},
            },
            "required": ["course_name", "start_time", "end_time", "num_players"],
        }
    },
}
TEE_TIMES_TEXT = (
    "⛳ Available Tee Times\n\nDate: Sun Nov 29 2026\nPlayers: 2\n\n"
    "1. 2:00 PM\n   📍 Birdsfoot Golf Course\n   ⛳ 18 holes available\n   🎟️ Tee Sheet ID: 12345\n"
    "   💵 $45.00 - 18 Holes\n\n2. 2:10 PM\n   📍 Birdsfoot Golf Course\n   ⛳ 18 holes available\n"
    "   🎟️ Tee Sheet ID: 12346\n\n\nFound 2 available time(s)"
)
SYSTEM = "You are a golf assistant.\nCurrent date and time: 2026-11-28 14:03:00 UTC"


# --------------------------------------------------------------------------- serving helpers


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn on 127.0.0.1 and a free port; yield its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bedrock_client(url: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=30),
    )


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def write_scenarios(tmp: Path) -> Path:
    scenarios = {
        "scenarios": [
            {
                "name": "hello",
                "turns": [{"match": {"user_contains": "hi"}, "text": "Hello from the script."}],
            },
            {
                "name": "tee_times",
                "turns": [
                    {
                        "match": {"user_contains": "tee times", "tools_include": ["golf_search_tee_times"]},
                        "tool_use": [
                            {
                                "name": "golf_search_tee_times",
                                "id": "tooluse_search_1",
                                "input": {
                                    "course_name": "Birdsfoot Golf Course",
                                    "start_time": "2026-11-29T14:00:00",
                                    "end_time": "2026-11-29T15:00:00",
                                    "num_players": 2,
                                },
                            }
                        ],
                    },
                    {
                        "match": {"tool_result_regex": r"Tee Sheet ID: (?P<sheet>\d+)"},
                        "text": "The first slot has tee sheet ${sheet}.",
                    },
                ],
            },
            {"name": "other", "turns": [{"text": "Other scenario."}]},
        ]
    }
    path = tmp / "scenarios.json"
    path.write_text(json.dumps(scenarios), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scripted_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = write_scenarios(tmp_path_factory.mktemp("llm"))
    backend = make_backend("scripted", scenarios=[path, DEFAULT_SCENARIO_DIR])
    with serve(create_bedrock_app(backend)) as url:
        yield url


@pytest.fixture()
def scripted(scripted_url: str) -> Iterator[tuple[str, Any]]:
    httpx.post(f"{scripted_url}/_fake/reset").raise_for_status()
    yield scripted_url, bedrock_client(scripted_url)


def select(url: str, name: str) -> None:
    httpx.post(f"{url}/_fake/bedrock/scenario", json={"name": name}).raise_for_status()


# --------------------------------------------------------------------------- Converse wire


def test_converse_text_with_usage_and_metrics(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    select(url, "hello")
    resp = client.converse(
        modelId=MODEL,
        messages=[user("hi there")],
        system=[{"text": "Be brief."}],
        inferenceConfig={"maxTokens": 512, "temperature": 0.5},
    )
    assert resp["output"]["message"] == {"role": "assistant", "content": [{"text": "Hello from the script."}]}
    assert resp["stopReason"] == "end_turn"
    assert resp["usage"] == {
        "inputTokens": math.ceil(len("Be brief." + "hi there") / 4),
        "outputTokens": math.ceil(len("Hello from the script.") / 4),
        "totalTokens": math.ceil(17 / 4) + math.ceil(22 / 4),
    }
    assert isinstance(resp["metrics"]["latencyMs"], int)


def test_tool_use_and_tool_result_round_trip(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    select(url, "tee_times")
    tool_config = {"tools": [{"toolSpec": SEARCH_SPEC}]}
    first = client.converse(
        modelId=PROFILE_ARN, messages=[user("tee times tomorrow at 2pm")], toolConfig=tool_config
    )
    assert first["stopReason"] == "tool_use"
    (block,) = first["output"]["message"]["content"]
    assert block["toolUse"]["toolUseId"] == "tooluse_search_1"
    assert block["toolUse"]["input"]["num_players"] == 2
    messages = [
        user("tee times tomorrow at 2pm"),
        first["output"]["message"],
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "tooluse_search_1",
                        "content": [{"text": TEE_TIMES_TEXT}],
                        "status": "success",
                    }
                }
            ],
        },
    ]
    second = client.converse(modelId=PROFILE_ARN, messages=messages, toolConfig=tool_config)
    assert second["stopReason"] == "end_turn"
    assert second["output"]["message"]["content"] == [{"text": "The first slot has tee sheet 12345."}]
    calls = httpx.get(f"{url}/_fake/bedrock/calls").json()["calls"]
    assert [c["modelId"] for c in calls] == [PROFILE_ARN, PROFILE_ARN]
    assert calls[1]["request"]["messages"][2]["content"][0]["toolResult"]["toolUseId"] == "tooluse_search_1"


def test_tool_result_json_content_is_accepted(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    select(url, "tee_times")
    tool_config = {"tools": [{"toolSpec": SEARCH_SPEC}]}
    first = client.converse(modelId=MODEL, messages=[user("tee times please")], toolConfig=tool_config)
    messages = [
        user("tee times please"),
        first["output"]["message"],
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "tooluse_search_1",
                        "content": [{"json": {"text": "Tee Sheet ID: 777"}}],
                    }
                }
            ],
        },
    ]
    second = client.converse(modelId=MODEL, messages=messages, toolConfig=tool_config)
    assert second["output"]["message"]["content"][0]["text"] == "The first slot has tee sheet 777."


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ValidationException", 400),
        ("ThrottlingException", 429),
        ("ServiceUnavailableException", 503),
        ("ModelTimeoutException", 408),
        ("InternalServerException", 500),
        ("AccessDeniedException", 403),
        ("ModelNotReadyException", 429),
    ],
)
def test_injected_errors_are_parsed_by_botocore(scripted: tuple[str, Any], code: str, status: int) -> None:
    url, client = scripted
    select(url, "hello")
    httpx.post(
        f"{url}/_fake/bedrock/faults", json={"code": code, "message": f"injected {code}"}
    ).raise_for_status()
    with pytest.raises(ClientError) as info:
        client.converse(modelId=MODEL, messages=[user("hi")])
    err = info.value.response
    assert err["Error"]["Code"] == code
    assert err["Error"]["Message"] == f"injected {code}"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    assert isinstance(info.value, getattr(client.exceptions, code))
    # the fault was consumed: the next call succeeds
    assert client.converse(modelId=MODEL, messages=[user("hi")])["stopReason"] == "end_turn"


def test_injected_latency_delays_the_answer(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    select(url, "hello")
    httpx.post(f"{url}/_fake/bedrock/faults", json={"latency_ms": 300}).raise_for_status()
    started = time.monotonic()
    resp = client.converse(modelId=MODEL, messages=[user("hi")])
    assert time.monotonic() - started >= 0.3
    assert resp["metrics"]["latencyMs"] >= 300


@pytest.mark.parametrize(
    ("messages", "extra", "fragment"),
    [
        ([{"role": "assistant", "content": [{"text": "hi"}]}], {}, "must start with a user message"),
        ([user("a"), user("b")], {}, "alternate between user and assistant"),
        ([user("   ")], {}, "is blank"),
        (
            [
                user("a"),
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t1", "name": "x", "input": {}}}],
                },
                {
                    "role": "user",
                    "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "r"}]}}],
                },
            ],
            {},
            "toolConfig field must be defined",
        ),
        (
            [
                user("a"),
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t1", "name": "x", "input": {}}}],
                },
                user("next"),
            ],
            {"toolConfig": {"tools": [{"toolSpec": SEARCH_SPEC}]}},
            "Expected toolResult blocks",
        ),
    ],
)
def test_conversation_rules_are_validation_errors(
    scripted: tuple[str, Any], messages: list[dict[str, Any]], extra: dict[str, Any], fragment: str
) -> None:
    _, client = scripted
    with pytest.raises(ClientError) as info:
        client.converse(modelId=MODEL, messages=messages, **extra)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in info.value.response["Error"]["Message"]


def test_malformed_body_is_a_validation_error_with_aws_headers(scripted: tuple[str, Any]) -> None:
    url, _ = scripted
    r = httpx.post(f"{url}/model/{MODEL}/converse", content=b"{not json")
    assert r.status_code == 400
    assert r.headers["x-amzn-ErrorType"] == "ValidationException"
    assert "Malformed request body" in r.json()["message"]
    r = httpx.post(f"{url}/model/{MODEL}/converse", json={"messages": [{"role": "robot", "content": []}]})
    assert r.status_code == 400 and "messages.0.role" in r.json()["message"]


def test_unsupported_operation_is_a_validation_error(scripted: tuple[str, Any]) -> None:
    _, client = scripted
    with pytest.raises(ClientError) as info:
        client.invoke_model(modelId=MODEL, body=b"{}")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "not supported" in info.value.response["Error"]["Message"]


def test_unknown_model_is_rejected_when_known_models_are_configured() -> None:
    app = create_bedrock_app(
        make_backend("intent"), known_models=["us.anthropic.claude-sonnet-4-20250514-v1:0"]
    )
    with serve(app) as url:
        client = bedrock_client(url)
        with pytest.raises(ClientError) as info:
            client.converse(modelId="amazon.nova-lite-v1:0", messages=[user("hi")])
        assert info.value.response["Error"]["Code"] == "ValidationException"
        assert "model identifier is invalid" in info.value.response["Error"]["Message"]
        assert client.converse(modelId=MODEL, messages=[user("hi")])["stopReason"] == "end_turn"


def test_unknown_model_ids_are_refused_as_bedrock_does(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    for model_id in ("anthropic.claude-sonnet-9", "us.anthropic.claude-sonnet-4-20250514-v9:0", "gpt-4o"):
        with pytest.raises(ClientError) as info:
            client.converse(modelId=model_id, messages=[user("hi")])
        error = info.value.response
        assert error["Error"]["Code"] == "ValidationException"
        assert error["Error"]["Message"] == "The provided model identifier is invalid."
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    raw = httpx.post(f"{url}/model/gpt-4o/converse", json={"messages": [{"role": "user", "content": [{"text": "hi"}]}]})
    assert raw.status_code == 400 and raw.headers["x-amzn-errortype"] == "ValidationException"
    assert raw.json() == {"message": "The provided model identifier is invalid."}
    for model_id in ("anthropic.claude-3-haiku-20240307-v1:0", "eu.amazon.nova-lite-v1:0", PROFILE_ARN,
                     "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-8b-instruct-v1:0"):
        select(url, "hello")  # one turn per selection
        assert client.converse(modelId=model_id, messages=[user("hi")])["stopReason"] == "end_turn"


def test_max_tokens_above_the_model_limit_is_refused(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    calls_before = len(httpx.get(f"{url}/_fake/bedrock/calls").json()["calls"])
    with pytest.raises(ClientError) as info:
        client.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=[user("hi")],
                        inferenceConfig={"maxTokens": 4097})
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["Error"]["Message"] == (
        "The maximum tokens you requested exceeds the model limit of 4096. "
        "Try again with a maximum tokens value that is lower than 4096.")
    with pytest.raises(ClientError):
        client.converse(modelId=MODEL, messages=[user("hi")], inferenceConfig={"maxTokens": 64_001})
    calls = httpx.get(f"{url}/_fake/bedrock/calls").json()["calls"][calls_before:]
    assert [c["error"]["code"] for c in calls] == ["ValidationException"] * 2  # refused before the backend ran
    select(url, "hello")
    assert client.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=[user("hi")],
                           inferenceConfig={"maxTokens": 4096})["stopReason"] == "end_turn"


def test_the_catalog_matches_the_agents_price_table() -> None:
    """One list of models: what the agent can price is what the fake accepts, with the same limits."""
    from emulation.fakes.bedrock.models import MAX_OUTPUT_TOKENS, base_model_id
    from services.agent.pricing import MODELS, max_output_tokens

    assert set(MODELS) == set(MAX_OUTPUT_TOKENS)
    for model_id, limit in MAX_OUTPUT_TOKENS.items():
        assert max_output_tokens(model_id) == limit
        assert max_output_tokens("us." + model_id) == limit and base_model_id("global." + model_id) == model_id


def test_max_tokens_and_stop_sequences_cut_text_answers(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    select(url, "hello")
    resp = client.converse(modelId=MODEL, messages=[user("hi")], inferenceConfig={"maxTokens": 2})
    assert resp["stopReason"] == "max_tokens"
    assert resp["output"]["message"]["content"] == [{"text": "Hello fr"}]
    httpx.post(f"{url}/_fake/reset").raise_for_status()
    select(url, "hello")
    resp = client.converse(modelId=MODEL, messages=[user("hi")], inferenceConfig={"stopSequences": [" from"]})
    assert resp["stopReason"] == "stop_sequence"
    assert resp["output"]["message"]["content"] == [{"text": "Hello"}]


# --------------------------------------------------------------------------- ConverseStream


def test_converse_stream_events_are_decoded_by_botocore(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    select(url, "tee_times")
    resp = client.converse_stream(
        modelId=MODEL,
        messages=[user("tee times tomorrow")],
        toolConfig={"tools": [{"toolSpec": SEARCH_SPEC}]},
    )
    events = list(resp["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds == [
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert events[1]["contentBlockStart"]["start"]["toolUse"] == {
        "toolUseId": "tooluse_search_1",
        "name": "golf_search_tee_times",
    }
    assert (
        json.loads(events[2]["contentBlockDelta"]["delta"]["toolUse"]["input"])["course_name"]
        == "Birdsfoot Golf Course"
    )
    assert events[4]["messageStop"]["stopReason"] == "tool_use"
    assert events[5]["metadata"]["usage"]["totalTokens"] > 0

    select(url, "hello")
    events = list(client.converse_stream(modelId=MODEL, messages=[user("hi")])["stream"])
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == "Hello from the script."


# --------------------------------------------------------------------------- scripted control


def test_scenario_marker_in_system_prompt_selects_the_scenario(scripted: tuple[str, Any]) -> None:
    _, client = scripted
    resp = client.converse(
        modelId=MODEL, messages=[user("anything")], system=[{"text": "Agent. [scenario: other]"}]
    )
    assert resp["output"]["message"]["content"] == [{"text": "Other scenario."}]


def test_divergence_and_exhaustion_name_the_turn(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    select(url, "hello")
    with pytest.raises(ClientError) as info:
        client.converse(modelId=MODEL, messages=[user("what's the weather")])
    message = info.value.response["Error"]["Message"]
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "'hello' diverged at turn 1 of 1" in message and "what's the weather" in message
    client.converse(modelId=MODEL, messages=[user("hi")])
    with pytest.raises(ClientError) as info:
        client.converse(modelId=MODEL, messages=[user("hi again")])
    assert "'hello' is exhausted" in info.value.response["Error"]["Message"]


def test_no_selected_scenario_is_a_loud_error(scripted: tuple[str, Any]) -> None:
    _, client = scripted
    with pytest.raises(ClientError) as info:
        client.converse(modelId=MODEL, messages=[user("hi")])
    assert "no scenario selected" in info.value.response["Error"]["Message"]


def test_control_endpoints(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    info = httpx.get(f"{url}/_fake/bedrock/scenario").json()
    assert {"hello", "tee_times", "golf_booking", "weather_check"} <= set(info["scenarios"])
    assert httpx.post(f"{url}/_fake/bedrock/scenario", json={"name": "nope"}).status_code == 404
    select(url, "hello")
    client.converse(modelId=MODEL, messages=[user("hi")])
    assert len(httpx.get(f"{url}/_fake/bedrock/calls").json()["calls"]) == 1
    assert httpx.get(f"{url}/_fake/bedrock/health").json() == {
        "backend": "scripted",
        **httpx.get(f"{url}/_fake/bedrock/scenario").json(),
    }
    httpx.post(f"{url}/_fake/reset").raise_for_status()
    assert httpx.get(f"{url}/_fake/bedrock/calls").json()["calls"] == []
    assert httpx.get(f"{url}/_fake/bedrock/scenario").json()["selected"] is None
    r = httpx.post(f"{url}/_fake/bedrock/faults", json={"code": "NoSuchException"})
    assert r.status_code == 400


def test_fixture_scenarios_load() -> None:
    scenarios = load_scenarios(DEFAULT_SCENARIO_DIR)
    assert {"golf_booking", "weather_check", "throttled_then_ok"} <= set(scenarios)


def test_golf_booking_fixture_replays_with_captures(scripted: tuple[str, Any]) -> None:
    url, client = scripted
    select(url, "golf_booking")
    tools = {
        "tools": [{"toolSpec": SEARCH_SPEC}, {"toolSpec": {**SEARCH_SPEC, "name": "golf_book_tee_time"}}]
    }
    history = [user("Search tee times for tomorrow at 2pm")]
    first = client.converse(modelId=MODEL, messages=history, toolConfig=tools)
    use_id = first["output"]["message"]["content"][1]["toolUse"]["toolUseId"]
    history += [
        first["output"]["message"],
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": use_id, "content": [{"text": TEE_TIMES_TEXT}]}}],
        },
    ]
    listing = client.converse(modelId=MODEL, messages=history, toolConfig=tools)
    assert "2:00 PM (Tee Sheet ID: 12345)" in listing["output"]["message"]["content"][0]["text"]
    history += [listing["output"]["message"], user("Book the 2:00pm slot")]
    question = client.converse(modelId=MODEL, messages=history, toolConfig=tools)
    history += [question["output"]["message"], user("yes")]
    booking = client.converse(modelId=MODEL, messages=history, toolConfig=tools)
    call = booking["output"]["message"]["content"][0]["toolUse"]
    assert call["input"] == {"course_name": "Birdsfoot Golf Course", "tee_sheet_id": 12345, "num_players": 2}
    history += [
        booking["output"]["message"],
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": call["toolUseId"],
                        "content": [{"text": "Confirmation: ABC123\n"}],
                    }
                }
            ],
        },
    ]
    done = client.converse(modelId=MODEL, messages=history, toolConfig=tools)
    assert done["output"]["message"]["content"][0]["text"].startswith("✓ Booked! Confirmation #ABC123")


# --------------------------------------------------------------------------- LangChain end to end


def test_chat_bedrock_converse_bind_tools_end_to_end(
    scripted: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_aws import ChatBedrockConverse
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    url, _ = scripted
    select(url, "tee_times")
    for key, value in {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    @tool
    def golf_search_tee_times(course_name: str, start_time: str, end_time: str, num_players: int) -> str:
        """Search tee times at a course between two ISO timestamps."""
        return TEE_TIMES_TEXT

    llm = ChatBedrockConverse(model=MODEL, region_name="us-east-1", temperature=0, max_tokens=1024)
    assert llm.client.meta.endpoint_url == url
    bound = llm.bind_tools([golf_search_tee_times])
    history: list[Any] = [HumanMessage("Search tee times for tomorrow at 2pm")]
    ai = bound.invoke(history)
    assert ai.tool_calls == [
        {
            "name": "golf_search_tee_times",
            "id": "tooluse_search_1",
            "type": "tool_call",
            "args": {
                "course_name": "Birdsfoot Golf Course",
                "start_time": "2026-11-29T14:00:00",
                "end_time": "2026-11-29T15:00:00",
                "num_players": 2,
            },
        }
    ]
    assert ai.usage_metadata["total_tokens"] > 0
    result = golf_search_tee_times.invoke(ai.tool_calls[0]["args"])
    history += [ai, ToolMessage(result, tool_call_id=ai.tool_calls[0]["id"])]
    final = bound.invoke(history)
    assert (
        final.content == "The first slot has tee sheet 12345."
        or final.text == "The first slot has tee sheet 12345."
    )


def test_chat_bedrock_converse_streaming_against_intent_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_aws import ChatBedrockConverse
    from langchain_core.messages import HumanMessage, SystemMessage

    with serve(create_bedrock_app(make_backend("intent"))) as url:
        llm = ChatBedrockConverse(
            model=MODEL,
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        tools = [
            {
                "name": "get_weather",
                "description": "Weather",
                "input_schema": {
                    "type": "object",
                    "properties": {"course_name": {"type": "string"}, "days": {"type": "integer"}},
                    "required": ["days"],
                },
            }
        ]
        chunks = list(
            llm.bind_tools(tools).stream(
                [SystemMessage(SYSTEM), HumanMessage("weather at Totteridge this weekend")]
            )
        )
        merged = chunks[0]
        for c in chunks[1:]:
            merged = merged + c
        assert [(c["name"], c["args"]) for c in merged.tool_calls] == [
            ("get_weather", {"course_name": "Totteridge", "days": 2})
        ]


# --------------------------------------------------------------------------- intent over the wire


def test_intent_backend_over_boto3() -> None:
    with serve(create_bedrock_app(make_backend("intent"))) as url:
        client = bedrock_client(url)
        resp = client.converse(
            modelId=MODEL,
            system=[{"text": SYSTEM}],
            messages=[user("tee times at birdsfoot tomorrow afternoon for 2")],
            toolConfig={"tools": [{"toolSpec": SEARCH_SPEC}]},
        )
        assert resp["stopReason"] == "tool_use"
        call = resp["output"]["message"]["content"][-1]["toolUse"]
        assert call["input"] == {
            "course_name": "Birdsfoot Golf Course",
            "start_time": "2026-11-29T12:00:00",
            "end_time": "2026-11-29T17:00:00",
            "num_players": 2,
        }


def test_recorded_calls_replay_as_a_scenario(tmp_path: Path) -> None:
    turns = [user("tee times at birdsfoot tomorrow afternoon for 2")]
    tools = {"tools": [{"toolSpec": SEARCH_SPEC}]}
    with serve(create_bedrock_app(make_backend("intent"))) as url:
        client = bedrock_client(url)
        first = client.converse(modelId=MODEL, system=[{"text": SYSTEM}], messages=turns, toolConfig=tools)
        use_id = first["output"]["message"]["content"][-1]["toolUse"]["toolUseId"]
        turns += [
            first["output"]["message"],
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": use_id, "content": [{"text": TEE_TIMES_TEXT}]}}],
            },
        ]
        second = client.converse(modelId=MODEL, system=[{"text": SYSTEM}], messages=turns, toolConfig=tools)
        recorded = httpx.get(f"{url}/_fake/bedrock/calls/scenario", params={"name": "recorded_search"}).json()
    assert len(recorded["turns"]) == 2
    (tmp_path / "recorded_search.json").write_text(json.dumps(recorded), encoding="utf-8")
    with serve(create_bedrock_app(make_backend("scripted", scenarios=tmp_path))) as url:
        client = bedrock_client(url)
        replay1 = client.converse(modelId=MODEL, messages=turns[:1], toolConfig=tools)
        replay2 = client.converse(modelId=MODEL, messages=turns, toolConfig=tools)
    assert replay1["output"] == first["output"] and replay1["stopReason"] == "tool_use"
    assert replay2["output"] == second["output"]


# --------------------------------------------------------------------------- Ollama backend


def fake_ollama_app(received: list[dict[str, Any]]) -> Starlette:
    """Just enough of Ollama's /api/chat and /api/tags for the client library."""

    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        received.append(body)
        if body["model"] == "missing":
            return JSONResponse({"error": "model 'missing' not found"}, status_code=404)
        base = {
            "model": body["model"],
            "created_at": "2026-11-28T14:03:00Z",
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 42,
            "eval_count": 7,
        }
        if body["messages"][-1]["role"] == "tool":
            return JSONResponse({**base, "message": {"role": "assistant", "content": "Two tee times found."}})
        call = {
            "function": {
                "name": "golf_search_tee_times",
                "arguments": {
                    "course_name": "Totteridge",
                    "start_time": "2026-11-29T09:00:00",
                    "end_time": "2026-11-29T10:00:00",
                    "num_players": 4,
                },
            }
        }
        return JSONResponse({**base, "message": {"role": "assistant", "content": "", "tool_calls": [call]}})

    async def tags(request: Request) -> JSONResponse:
        return JSONResponse({"models": [{"model": "qwen2.5:1.5b", "name": "qwen2.5:1.5b"}]})

    return Starlette(routes=[Route("/api/chat", chat, methods=["POST"]), Route("/api/tags", tags)])


def test_ollama_backend_maps_tools_both_ways() -> None:
    received: list[dict[str, Any]] = []
    with (
        serve(fake_ollama_app(received)) as ollama_url,
        serve(create_bedrock_app(make_backend("ollama", host=ollama_url, model="qwen2.5:1.5b"))) as url,
    ):
        client = bedrock_client(url)
        tools = {"tools": [{"toolSpec": SEARCH_SPEC}]}
        first = client.converse(
            modelId=MODEL,
            system=[{"text": SYSTEM}],
            messages=[user("foursome at totteridge next saturday at 9")],
            toolConfig=tools,
            inferenceConfig={"temperature": 0.2, "maxTokens": 100},
        )
        assert first["stopReason"] == "tool_use"
        assert first["usage"] == {"inputTokens": 42, "outputTokens": 7, "totalTokens": 49}
        use = first["output"]["message"]["content"][0]["toolUse"]
        assert use["name"] == "golf_search_tee_times" and use["input"]["num_players"] == 4
        assert use["toolUseId"].startswith("tooluse_")
        sent = received[0]
        assert sent["model"] == "qwen2.5:1.5b"
        assert sent["messages"][0] == {"role": "system", "content": SYSTEM}
        assert sent["tools"][0]["function"]["name"] == "golf_search_tee_times"
        assert sent["options"] == {"temperature": 0.2, "num_predict": 100}

        history = [
            user("foursome at totteridge next saturday at 9"),
            first["output"]["message"],
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"text": TEE_TIMES_TEXT}]}}
                ],
            },
        ]
        second = client.converse(modelId=MODEL, messages=history, toolConfig=tools)
        assert second["output"]["message"]["content"] == [{"text": "Two tee times found."}]
        assistant, tool_msg = received[1]["messages"][1:3]
        assert assistant["tool_calls"][0]["function"]["name"] == "golf_search_tee_times"
        assert tool_msg == {"role": "tool", "tool_name": "golf_search_tee_times", "content": TEE_TIMES_TEXT}
        assert httpx.get(f"{url}/_fake/bedrock/health").json()["ok"] is True


def test_ollama_missing_model_is_a_validation_error() -> None:
    with (
        serve(fake_ollama_app([])) as ollama_url,
        serve(create_bedrock_app(make_backend("ollama", host=ollama_url, model="missing"))) as url,
    ):
        with pytest.raises(ClientError) as info:
            bedrock_client(url).converse(modelId=MODEL, messages=[user("hi")])
        assert info.value.response["Error"]["Code"] == "ValidationException"
        assert "ollama pull missing" in info.value.response["Error"]["Message"]


@pytest.mark.parametrize("name", ["ollama", "openai"])
def test_unreachable_backend_is_service_unavailable(name: str) -> None:
    port = free_port()
    options = (
        {"host": f"http://127.0.0.1:{port}"}
        if name == "ollama"
        else {"base_url": f"http://127.0.0.1:{port}/v1"}
    )
    with serve(create_bedrock_app(make_backend(name, **options))) as url:
        with pytest.raises(ClientError) as info:
            bedrock_client(url).converse(modelId=MODEL, messages=[user("hi")])
        assert info.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert "unreachable" in info.value.response["Error"]["Message"]
        health = httpx.get(f"{url}/_fake/bedrock/health")
        assert health.status_code == 503 and health.json()["ok"] is False


# --------------------------------------------------------------------------- OpenAI-compatible backend


def fake_openai_app(received: list[dict[str, Any]]) -> Starlette:
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        received.append(body)
        last = body["messages"][-1]
        if last["role"] == "user" and last["content"] == "explode":
            return JSONResponse({"error": "boom"}, status_code=500)
        if last["role"] == "user" and last["content"] == "salvage":
            text = 'Sure:\n```json\n{"name": "golf_search_tee_times", "arguments": {"course_name": "Totteridge"}}\n```'
            msg: dict[str, Any] = {"role": "assistant", "content": text}
            finish = "stop"
        elif last["role"] == "tool":
            msg, finish = {"role": "assistant", "content": "Booked nothing, just looked."}, "stop"
        else:
            msg = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {
                            "name": "golf_search_tee_times",
                            "arguments": json.dumps({"course_name": "Birdsfoot Golf Course"}),
                        },
                    }
                ],
            }
            finish = "tool_calls"
        return JSONResponse(
            {
                "id": "x",
                "object": "chat.completion",
                "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 3},
            }
        )

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"data": [{"id": "local"}]})

    return Starlette(
        routes=[Route("/v1/chat/completions", completions, methods=["POST"]), Route("/v1/models", models)]
    )


def test_openai_backend_maps_tools_both_ways() -> None:
    received: list[dict[str, Any]] = []
    with (
        serve(fake_openai_app(received)) as openai_url,
        serve(create_bedrock_app(make_backend("openai", base_url=f"{openai_url}/v1"))) as url,
    ):
        client = bedrock_client(url)
        tools = {"tools": [{"toolSpec": SEARCH_SPEC}], "toolChoice": {"any": {}}}
        first = client.converse(modelId=MODEL, messages=[user("tee times")], toolConfig=tools)
        use = first["output"]["message"]["content"][0]["toolUse"]
        assert use == {
            "toolUseId": "call_abc123",
            "name": "golf_search_tee_times",
            "input": {"course_name": "Birdsfoot Golf Course"},
        }
        assert first["stopReason"] == "tool_use" and first["usage"]["totalTokens"] == 14
        assert received[0]["tool_choice"] == "required"
        assert received[0]["tools"][0]["function"]["parameters"] == SEARCH_SPEC["inputSchema"]["json"]

        history = [
            user("tee times"),
            first["output"]["message"],
            {
                "role": "user",
                "content": [
                    {
                        "toolResult": {
                            "toolUseId": "call_abc123",
                            "content": [{"text": "none"}],
                            "status": "error",
                        }
                    }
                ],
            },
        ]
        second = client.converse(modelId=MODEL, messages=history, toolConfig=tools)
        assert second["output"]["message"]["content"] == [{"text": "Booked nothing, just looked."}]
        sent = received[1]["messages"]
        assert sent[1]["tool_calls"][0]["id"] == "call_abc123"
        assert sent[2] == {"role": "tool", "tool_call_id": "call_abc123", "content": "Error: none"}

        salvaged = client.converse(modelId=MODEL, messages=[user("salvage")], toolConfig=tools)
        blocks = salvaged["output"]["message"]["content"]
        assert blocks[0] == {"text": "Sure:"}
        assert (
            blocks[1]["toolUse"]["input"] == {"course_name": "Totteridge"}
            and salvaged["stopReason"] == "tool_use"
        )

        with pytest.raises(ClientError) as info:
            client.converse(modelId=MODEL, messages=[user("explode")])
        assert info.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert "HTTP 500" in info.value.response["Error"]["Message"]


def test_answer_after_tool_flattens_tool_turns() -> None:
    received: list[dict[str, Any]] = []
    with (
        serve(fake_openai_app(received)) as openai_url,
        serve(
            create_bedrock_app(make_backend("openai", base_url=f"{openai_url}/v1", answer_after_tool=True))
        ) as url,
    ):
        client = bedrock_client(url)
        tools = {"tools": [{"toolSpec": SEARCH_SPEC}]}
        first = client.converse(modelId=MODEL, messages=[user("tee times")], toolConfig=tools)
        use = first["output"]["message"]["content"][0]["toolUse"]
        history = [
            user("tee times"),
            first["output"]["message"],
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"text": "2 slots"}]}}
                ],
            },
        ]
        client.converse(modelId=MODEL, messages=history, toolConfig=tools)
        sent = received[1]
        assert "tools" not in sent
        assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
        assert "Tool golf_search_tee_times returned:\n2 slots" in sent["messages"][2]["content"]


def test_make_backend_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown Bedrock fake backend"):
        make_backend("claude")

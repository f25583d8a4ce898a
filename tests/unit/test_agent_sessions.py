"""Agent sessions against the sessions table (moto): ids, history, ttl, expiry, races, trimming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from moto import mock_aws

from services.agent.sessions import SESSION_ID, SessionStore, trim
from services.core import clock
from services.core.errors import ConflictError
from tests.support.aws import provision_manifest

NOW = datetime(2026, 11, 28, 14, 3, tzinfo=UTC)


@pytest.fixture()
def at():
    moment = {"now": NOW}
    clock.set_source(lambda: moment["now"])
    yield moment
    clock.set_source(None)


@pytest.fixture()
def store():
    with mock_aws():
        provision_manifest()
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        yield SessionStore(ddb, "rez-agent-sessions-dev"), ddb


def conversation() -> list:
    return [HumanMessage("tee times tomorrow?"),
            AIMessage("", tool_calls=[{"name": "golf_search_tee_times", "args": {"num_players": 2}, "id": "t1"}]),
            ToolMessage("1. 2:05 PM Tee Sheet ID: 7", tool_call_id="t1", name="golf_search_tee_times"),
            AIMessage("Found one at 2:05 PM.")]


def test_a_new_session_is_saved_with_a_24h_ttl_and_restored_whole(store, at):
    sessions, ddb = store
    session = sessions.new()
    assert SESSION_ID.match(session.session_id) and session.is_new
    saved = sessions.save(session, conversation())
    item = ddb.get_item(TableName="rez-agent-sessions-dev", Key={"session_id": {"S": session.session_id}})["Item"]
    assert int(item["ttl"]["N"]) == int((NOW + timedelta(hours=24)).timestamp())
    assert item["version"]["N"] == "1" and item["created_at"]["S"].startswith("2026-11-28T14:03")
    loaded = sessions.load(session.session_id)
    assert loaded is not None and loaded.version == saved.version == 1
    assert [type(m).__name__ for m in loaded.messages] == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert loaded.messages[1].tool_calls[0]["args"] == {"num_players": 2}
    assert loaded.messages[2].tool_call_id == "t1"


def test_every_turn_refreshes_the_ttl(store, at):
    sessions, ddb = store
    saved = sessions.save(sessions.new(), conversation()[:1])
    at["now"] = NOW + timedelta(hours=20)
    loaded = sessions.load(saved.session_id)
    sessions.save(loaded, loaded.messages + [AIMessage("hi")])
    item = ddb.get_item(TableName="rez-agent-sessions-dev", Key={"session_id": {"S": saved.session_id}})["Item"]
    assert int(item["ttl"]["N"]) == int((NOW + timedelta(hours=44)).timestamp())
    assert item["created_at"]["S"].startswith("2026-11-28T14:03")


def test_an_expired_session_is_not_restored_even_before_the_sweeper_deletes_it(store, at):
    sessions, _ = store
    saved = sessions.save(sessions.new(), conversation())
    at["now"] = NOW + timedelta(hours=24, seconds=1)
    assert sessions.load(saved.session_id) is None


def test_unknown_or_malformed_ids_are_not_sessions(store, at):
    sessions, _ = store
    assert sessions.load("sess_" + "x" * 22) is None
    assert sessions.load("../../etc/passwd") is None


def test_two_turns_racing_in_one_session_do_not_lose_messages_silently(store, at):
    sessions, _ = store
    saved = sessions.save(sessions.new(), conversation()[:1])
    a, b = sessions.load(saved.session_id), sessions.load(saved.session_id)
    sessions.save(a, a.messages + [AIMessage("first")])
    with pytest.raises(ConflictError):
        sessions.save(b, b.messages + [AIMessage("second")])
    with pytest.raises(ConflictError):  # a second "new" session with the same id cannot overwrite
        sessions.save(sessions.new().__class__(session_id=saved.session_id), [])


def test_trimming_drops_whole_exchanges_from_the_start():
    history = conversation() * 3
    kept = trim(history, max_messages=6)
    assert len(kept) == 4 and isinstance(kept[0], HumanMessage)
    assert trim(history, max_bytes=10) == []

"""Chat sessions in the sessions table (seed "Session Management"; ORIGINAL_SYSTEM §2.4, §12.6).

Item: ``{session_id, created_at, updated_at, ttl, version, messages}`` where ``messages`` is the
conversation as JSON (LangChain message dicts: the user's messages, the assistant's, and the tool
calls and results between them, so the model sees what it did) and ``ttl`` is epoch seconds 24 h
after the last turn — set on every save (the original never set it, §17 item 16).

* ``load(id)``: the live session, or None when it does not exist *or has expired* (``ttl`` before
  ``clock.now()``: DynamoDB deletes expired items lazily, so an item can outlive its ttl).
* ``save``: a new session is put only if absent; an existing one only if its ``version`` is still
  the one loaded, so two turns racing in one session cannot silently drop each other's messages
  (the loser gets ``ConflictError``, 409).
* Ids are issued by the server (``sess_`` + 128 random bits); a client cannot choose one.
* History is capped (``MAX_MESSAGES``, ``MAX_BYTES``): the oldest exchanges go first, always
  cut at a user message so no tool result is left without its call.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError
from langchain_core.messages import BaseMessage, HumanMessage, messages_from_dict, messages_to_dict

from services.core import clock
from services.core.dynamo import error_code
from services.core.errors import ConflictError

TTL = timedelta(hours=24)
MAX_MESSAGES = 60
MAX_BYTES = 300_000  # well inside DynamoDB's 400 KB item limit
SESSION_ID = re.compile(r"^sess_[A-Za-z0-9_-]{16,64}$")


def new_session_id() -> str:
    return "sess_" + secrets.token_urlsafe(16)


@dataclass
class Session:
    session_id: str
    messages: list[BaseMessage] = field(default_factory=list)
    created_at: str = ""
    version: int = 0  # 0: not stored yet

    @property
    def is_new(self) -> bool:
        return self.version == 0


def trim(messages: list[BaseMessage], max_messages: int = MAX_MESSAGES, max_bytes: int = MAX_BYTES) -> list[BaseMessage]:
    """Drop the oldest exchanges until both limits hold; always starts at a user message."""
    kept = list(messages)
    while kept and (len(kept) > max_messages or len(_encode(kept)) > max_bytes):
        starts = [i for i, m in enumerate(kept) if isinstance(m, HumanMessage) and i > 0]
        kept = kept[starts[0]:] if starts else []
    return kept


def _encode(messages: list[BaseMessage]) -> str:
    dicts = messages_to_dict(messages)
    for item in dicts:  # per-call metadata (request ids, latency) is not conversation
        item.get("data", {}).pop("response_metadata", None)
    return json.dumps(dicts, separators=(",", ":"), ensure_ascii=False, default=str)


class SessionStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def load(self, session_id: str) -> Session | None:
        if not SESSION_ID.match(session_id):
            return None
        item = self._db.get_item(TableName=self._table, Key={"session_id": {"S": session_id}},
                                 ConsistentRead=True).get("Item")
        if not item:
            return None
        if int(item.get("ttl", {}).get("N", "0")) <= int(clock.now().timestamp()):
            return None
        raw = item.get("messages", {}).get("S", "[]")
        return Session(session_id=session_id, messages=messages_from_dict(json.loads(raw)),
                       created_at=item.get("created_at", {}).get("S", ""), version=int(item["version"]["N"]))

    def new(self) -> Session:
        return Session(session_id=new_session_id())

    def save(self, session: Session, messages: list[BaseMessage]) -> Session:
        now = clock.now()
        stamp = clock.iso(now)
        kept = trim(messages)
        version = session.version + 1
        values = {":m": {"S": _encode(kept)}, ":u": {"S": stamp}, ":t": {"N": str(int((now + TTL).timestamp()))},
                  ":v": {"N": str(version)}, ":c": {"S": session.created_at or stamp}}
        if session.is_new:
            condition, expected = "attribute_not_exists(session_id)", {}
        else:
            condition, expected = "version = :expected", {":expected": {"N": str(session.version)}}
        try:
            self._db.update_item(
                TableName=self._table, Key={"session_id": {"S": session.session_id}},
                UpdateExpression="SET messages = :m, updated_at = :u, #ttl = :t, version = :v, "
                                 "created_at = if_not_exists(created_at, :c)",
                ConditionExpression=condition, ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={**values, **expected})
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise ConflictError(f"session {session.session_id} was changed by another request; "
                                    "send the message again") from exc
            raise
        return Session(session_id=session.session_id, messages=kept, created_at=session.created_at or stamp,
                       version=version)

"""The Message: what flows through the topics and queues, and what the messages table stores.

``Message`` is the stored and published shape (attribute names are the JSON names). Inbound
requests are validated by ``services/core/message_validation.py`` before a Message is made.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.core import clock


class MessageType(StrEnum):
    HELLO_WORLD = "hello_world"
    NOTIFY = "notify"
    AGENT_RESPONSE = "agent_response"
    SCHEDULED = "scheduled"
    WEB_ACTION = "web_action"
    SCHEDULE_CREATION = "schedule_creation"


class Status(StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


STAGES = ("dev", "stage", "prod")


def new_message_id(moment: datetime | None = None) -> str:
    """``msg_<UTC yyyymmddHHMMSS>_<6 digits>``.

    Six random digits alone would collide under load (birthday bound: ~1 in 2,000 for 45 ids in
    one second), so the repository also writes with ``attribute_not_exists(id)`` and draws again
    on a clash: the format stays as documented and no message overwrites another.
    """
    moment = moment or clock.now()
    return f"msg_{moment:%Y%m%d%H%M%S}_{secrets.randbelow(1_000_000):06d}"


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    version: str = "1.0"
    created_date: str
    created_by: str
    stage: str
    message_type: MessageType
    status: Status
    payload: dict[str, Any] = Field(default_factory=dict)
    arguments: dict[str, Any] | None = None
    auth_config: dict[str, Any] | None = None
    updated_date: str
    error_message: str | None = None
    retry_count: int = 0

    @classmethod
    def new(cls, *, message_type: MessageType | str, payload: dict[str, Any], created_by: str, stage: str,
            arguments: dict[str, Any] | None = None, status: Status = Status.CREATED,
            version: str = "1.0", auth_config: dict[str, Any] | None = None) -> Message:
        moment = clock.now()
        stamp = clock.iso(moment)
        return cls(id=new_message_id(moment), version=version, created_date=stamp, created_by=created_by,
                   stage=stage, message_type=MessageType(message_type), status=status, payload=payload,
                   arguments=arguments, auth_config=auth_config, updated_date=stamp)

    def to_json_dict(self) -> dict[str, Any]:
        """The wire and API shape: optional fields omitted when empty."""
        return self.model_dump(mode="json", exclude_none=True)

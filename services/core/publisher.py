"""Topic routing: a message goes to the topic of its type, with three message attributes."""

from __future__ import annotations

import json
from typing import Any

from services.core.errors import ConfigurationError
from services.core.messages import Message, MessageType
from services.core.settings import Settings


def topic_for(message_type: MessageType, settings: Settings) -> str:
    arn = {
        MessageType.WEB_ACTION: settings.web_actions_topic_arn,
        MessageType.AGENT_RESPONSE: settings.agent_responses_topic_arn,
        MessageType.SCHEDULE_CREATION: settings.schedule_creation_topic_arn,
    }.get(message_type, settings.notifications_topic_arn)
    if not arn:
        raise ConfigurationError(f"no topic configured for message type {message_type.value}")
    return arn


class Publisher:
    def __init__(self, sns: Any, settings: Settings) -> None:
        self._sns = sns
        self._settings = settings

    def publish(self, message: Message) -> str:
        """Publish to the routed topic; returns the SNS message id."""
        attributes = {
            name: {"DataType": "String", "StringValue": str(value)}
            for name, value in (("stage", message.stage), ("message_type", message.message_type.value),
                                ("status", message.status.value))
        }
        response = self._sns.publish(
            TopicArn=topic_for(message.message_type, self._settings),
            Message=json.dumps(message.to_json_dict(), separators=(",", ":")),
            MessageAttributes=attributes,
        )
        return response["MessageId"]

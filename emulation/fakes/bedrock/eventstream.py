"""Encode a model turn as a ConverseStream ``application/vnd.amazon.eventstream`` body.

The binary framing is AWS event stream: ``total length (u32) | headers length (u32) | prelude
CRC32 | headers | payload | message CRC32``; each header is ``name length (u8) | name | type 7
(string) | value length (u16) | value``. botocore's ``EventStreamBuffer`` decodes it.

LIMITATIONS:
* The whole turn is computed first and then emitted at once; text is split into small deltas so
  clients see several ``contentBlockDelta`` events, but there is no real token-by-token latency.
* Errors are raised before the stream starts (as plain HTTP errors, which botocore also parses);
  mid-stream exception events are not produced.
"""

from __future__ import annotations

import json
import struct
from binascii import crc32
from collections.abc import Iterator
from typing import Any

from .wire import ModelTurn

CONTENT_TYPE = "application/vnd.amazon.eventstream"
TEXT_CHUNK = 24


def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return struct.pack("!B", len(n)) + n + struct.pack("!BH", 7, len(v)) + v


def encode_event(event_type: str, payload: dict[str, Any]) -> bytes:
    headers = (
        _header(":event-type", event_type)
        + _header(":content-type", "application/json")
        + _header(":message-type", "event")
    )
    body = json.dumps(payload, ensure_ascii=False).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack("!II", total, len(headers))
    prelude += struct.pack("!I", crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + body
    return message + struct.pack("!I", crc32(message) & 0xFFFFFFFF)


def stream_events(turn: ModelTurn, usage: dict[str, int], latency_ms: int) -> Iterator[bytes]:
    """Yield the encoded events of one ConverseStream response, in Bedrock's order."""
    yield encode_event("messageStart", {"role": "assistant"})
    for index, block in enumerate(turn.content):
        if block.toolUse is not None:
            start = {"toolUse": {"toolUseId": block.toolUse.toolUseId, "name": block.toolUse.name}}
            yield encode_event("contentBlockStart", {"start": start, "contentBlockIndex": index})
            delta = {"toolUse": {"input": json.dumps(block.toolUse.input, ensure_ascii=False)}}
            yield encode_event("contentBlockDelta", {"delta": delta, "contentBlockIndex": index})
        elif block.text is not None:
            text = block.text
            for i in range(0, len(text), TEXT_CHUNK):
                delta = {"text": text[i : i + TEXT_CHUNK]}
                yield encode_event("contentBlockDelta", {"delta": delta, "contentBlockIndex": index})
        else:
            continue
        yield encode_event("contentBlockStop", {"contentBlockIndex": index})
    yield encode_event("messageStop", {"stopReason": turn.stop_reason})
    yield encode_event("metadata", {"usage": usage, "metrics": {"latencyMs": latency_ms}})

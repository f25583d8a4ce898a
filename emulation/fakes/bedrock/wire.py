"""Bedrock Runtime Converse wire format: request/response models, AWS errors, token counting.

Shapes follow botocore's ``bedrock-runtime`` service model (api 2023-09-30, protocol rest-json).
Errors are rendered as AWS renders them for rest-json: the HTTP status of the error shape, a
``x-amzn-ErrorType: <Code>`` header and a JSON body ``{"message": "..."}``, so botocore raises a
``ClientError`` with the right ``Error.Code``.

LIMITATIONS:
* Only the content blocks an agent uses are modelled (``text``, ``toolUse``, ``toolResult`` with
  ``text``/``json`` content). Other blocks (image, document, video, reasoningContent, cachePoint,
  guardContent) are accepted and passed to backends untouched, but backends ignore them.
* ``guardrailConfig``, ``additionalModelRequestFields``, ``promptVariables``, ``requestMetadata``,
  ``performanceConfig`` and ``serviceTier`` are accepted and ignored.
* Token counts are an estimate (one token per 4 characters, rounded up), not a tokenizer. They are
  deterministic so that cost tracking downstream is testable.
* Conversation checks mirror the Bedrock rules that agents trip over most (first message from the
  user, alternating roles, no blank text, toolResult ids answering the previous toolUse, toolConfig
  required when tool blocks are present); Bedrock's exact messages for other violations differ.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

StopReason = Literal[
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "guardrail_intervened",
    "content_filtered",
    "malformed_model_output",
    "malformed_tool_use",
    "model_context_window_exceeded",
]

# --------------------------------------------------------------------------- errors

#: Error code -> HTTP status, from the error shapes of the service model.
ERROR_STATUS: dict[str, int] = {
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ValidationException": 400,
    "ModelErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
}


class BedrockError(Exception):
    """An error the fake returns exactly as Bedrock would (status, x-amzn-ErrorType, message)."""

    code = "InternalServerException"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            if code not in ERROR_STATUS:
                raise ValueError(f"unknown Bedrock error code {code!r}; known: {sorted(ERROR_STATUS)}")
            self.code = code

    @property
    def status(self) -> int:
        return ERROR_STATUS[self.code]

    def body(self) -> dict[str, str]:
        return {"message": self.message}

    def headers(self) -> dict[str, str]:
        return {"x-amzn-ErrorType": self.code}


class ValidationException(BedrockError):
    code = "ValidationException"


class ThrottlingException(BedrockError):
    code = "ThrottlingException"


class ServiceUnavailableException(BedrockError):
    code = "ServiceUnavailableException"


class ModelTimeoutException(BedrockError):
    code = "ModelTimeoutException"


class InternalServerException(BedrockError):
    code = "InternalServerException"


def error_for(code: str, message: str) -> BedrockError:
    """Build the error for an AWS error code (used by fault injection and scripted turns)."""
    return BedrockError(message, code=code)


# --------------------------------------------------------------------------- request models


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class ToolUseBlock(_Wire):
    toolUseId: str = Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_.:-]+$")
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")
    input: Any = Field(default_factory=dict)


class ToolResultContent(_Wire):
    text: str | None = None
    json_: Any = Field(default=None, alias="json")

    def as_text(self) -> str:
        if self.text is not None:
            return self.text
        if self.json_ is not None:
            return json.dumps(self.json_, ensure_ascii=False)
        return ""


class ToolResultBlock(_Wire):
    toolUseId: str = Field(min_length=1, max_length=64)
    content: list[ToolResultContent] = Field(default_factory=list)
    status: Literal["success", "error"] | None = None

    def as_text(self) -> str:
        return "\n".join(c.as_text() for c in self.content)


class ContentBlock(_Wire):
    text: str | None = None
    toolUse: ToolUseBlock | None = None
    toolResult: ToolResultBlock | None = None


class Message(_Wire):
    role: Literal["user", "assistant"]
    content: list[ContentBlock]

    def text(self) -> str:
        return "\n".join(b.text for b in self.content if b.text)

    def tool_uses(self) -> list[ToolUseBlock]:
        return [b.toolUse for b in self.content if b.toolUse is not None]

    def tool_results(self) -> list[ToolResultBlock]:
        return [b.toolResult for b in self.content if b.toolResult is not None]


class SystemBlock(_Wire):
    text: str | None = None


class InferenceConfig(_Wire):
    maxTokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=1)
    topP: float | None = Field(default=None, ge=0, le=1)
    stopSequences: list[str] | None = Field(default=None, max_length=2500)


class InputSchema(_Wire):
    json_: dict[str, Any] = Field(alias="json")


class ToolSpec(_Wire):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")
    description: str | None = None
    inputSchema: InputSchema


class Tool(_Wire):
    toolSpec: ToolSpec | None = None


class SpecificToolChoice(_Wire):
    name: str


class ToolChoice(_Wire):
    auto: dict[str, Any] | None = None
    any: dict[str, Any] | None = None
    tool: SpecificToolChoice | None = None


class ToolConfig(_Wire):
    tools: list[Tool] = Field(min_length=1)
    toolChoice: ToolChoice | None = None


class ConverseRequest(_Wire):
    messages: list[Message] = Field(default_factory=list)
    system: list[SystemBlock] = Field(default_factory=list)
    inferenceConfig: InferenceConfig | None = None
    toolConfig: ToolConfig | None = None

    # -- convenience accessors used by every backend
    def system_text(self) -> str:
        return "\n".join(b.text for b in self.system if b.text)

    def tool_specs(self) -> list[ToolSpec]:
        if self.toolConfig is None:
            return []
        return [t.toolSpec for t in self.toolConfig.tools if t.toolSpec is not None]

    def tool_spec(self, name: str) -> ToolSpec | None:
        return next((s for s in self.tool_specs() if s.name == name), None)

    def last_user_text(self) -> str:
        """Text of the most recent user message that has text (the last human utterance)."""
        for m in reversed(self.messages):
            if m.role == "user" and m.text():
                return m.text()
        return ""

    def last_tool_results(self) -> list[ToolResultBlock]:
        """toolResult blocks of the final message (empty unless it answers a toolUse)."""
        if not self.messages or self.messages[-1].role != "user":
            return []
        return self.messages[-1].tool_results()


def parse_request(body: bytes) -> ConverseRequest:
    """Parse and validate a Converse body, raising ValidationException in Bedrock's style."""
    try:
        raw = json.loads(body or b"{}")
    except ValueError as e:
        raise ValidationException(f"Malformed request body: {e}") from e
    if not isinstance(raw, dict):
        raise ValidationException("Malformed request body: expected a JSON object")
    try:
        request = ConverseRequest.model_validate(raw)
    except ValidationError as e:
        problems = [
            f"Value at '{'.'.join(str(p) for p in err['loc'])}' failed to satisfy constraint: {err['msg']}"
            for err in e.errors()
        ]
        n = len(problems)
        raise ValidationException(
            f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(problems)
        ) from e
    validate_conversation(request)
    return request


def validate_conversation(request: ConverseRequest) -> None:
    """The Bedrock conversation rules agents most often break (raise ValidationException)."""
    msgs = request.messages
    if not msgs:
        raise ValidationException("The messages field is required and must contain at least one message.")
    if msgs[0].role != "user":
        raise ValidationException(
            "A conversation must start with a user message. Try again with a conversation that starts "
            "with a user message."
        )
    uses_tools = False
    for i, m in enumerate(msgs):
        if i and m.role == msgs[i - 1].role:
            raise ValidationException(
                "A conversation must alternate between user and assistant roles. Make sure the "
                "conversation alternates between user and assistant roles and try again."
            )
        if not m.content:
            raise ValidationException(f"The content field in the Message object at messages.{i} is empty.")
        for j, block in enumerate(m.content):
            if block.text is not None and not block.text.strip():
                raise ValidationException(
                    f"The text field in the ContentBlock object at messages.{i}.content.{j} is blank. "
                    "Add text to the text field, and try again."
                )
        if m.tool_uses() or m.tool_results():
            uses_tools = True
        results = m.tool_results()
        pending = [u.toolUseId for u in msgs[i - 1].tool_uses()] if i else []
        missing = [tid for tid in pending if tid not in {r.toolUseId for r in results}]
        if missing:
            raise ValidationException(
                f"Expected toolResult blocks at messages.{i}.content for the following Ids: "
                + ", ".join(missing)
            )
        if results:
            previous = {u.toolUseId for u in msgs[i - 1].tool_uses()} if i else set()
            for r in results:
                if r.toolUseId not in previous:
                    raise ValidationException(
                        f"messages.{i}.content: toolResult block with toolUseId {r.toolUseId!r} does not "
                        "match any toolUse block of the previous assistant turn."
                    )
            if len(results) > len(previous):
                raise ValidationException(
                    f"The number of toolResult blocks at messages.{i}.content exceeds the number of "
                    "toolUse blocks of previous turn."
                )
    if uses_tools and request.toolConfig is None:
        raise ValidationException(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        )


# --------------------------------------------------------------------------- backend result


class ModelTurn(BaseModel):
    """What a backend produces for one Converse call."""

    content: list[ContentBlock]
    stop_reason: StopReason = "end_turn"
    input_tokens: int | None = None
    output_tokens: int | None = None

    @classmethod
    def text(cls, text: str) -> ModelTurn:
        return cls(content=[ContentBlock(text=text)], stop_reason="end_turn")

    @classmethod
    def tool_calls(cls, calls: list[ToolUseBlock], text: str | None = None) -> ModelTurn:
        blocks = [ContentBlock(text=text)] if text else []
        blocks += [ContentBlock(toolUse=c) for c in calls]
        return cls(content=blocks, stop_reason="tool_use")


# --------------------------------------------------------------------------- tokens

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Deterministic token estimate: ceil(len/4); zero for empty text."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def _block_text(block: ContentBlock) -> str:
    if block.text is not None:
        return block.text
    if block.toolUse is not None:
        return block.toolUse.name + json.dumps(block.toolUse.input, sort_keys=True, ensure_ascii=False)
    if block.toolResult is not None:
        return block.toolResult.as_text()
    return ""


def count_input_tokens(request: ConverseRequest) -> int:
    parts = [request.system_text()]
    parts += [_block_text(b) for m in request.messages for b in m.content]
    parts += [
        s.name + (s.description or "") + json.dumps(s.inputSchema.json_, sort_keys=True)
        for s in request.tool_specs()
    ]
    return max(1, estimate_tokens("".join(parts)))


def count_output_tokens(content: list[ContentBlock]) -> int:
    return estimate_tokens("".join(_block_text(b) for b in content))


def converse_response(turn: ModelTurn, request: ConverseRequest, latency_ms: int) -> dict[str, Any]:
    """The JSON body of a successful Converse response."""
    inp = turn.input_tokens if turn.input_tokens is not None else count_input_tokens(request)
    out = turn.output_tokens if turn.output_tokens is not None else count_output_tokens(turn.content)
    return {
        "output": {"message": {"role": "assistant", "content": [b.dump() for b in turn.content]}},
        "stopReason": turn.stop_reason,
        "usage": {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out},
        "metrics": {"latencyMs": latency_ms},
    }

"""AWS pass-through backend: forwards each Converse call to the real Amazon Bedrock with boto3.

For ``make eval-agent`` on a machine with AWS credentials: the agent still talks to the local
stand-in (so every call is logged and scored the same way as for the local backends), and the
stand-in asks Bedrock. Options: ``model`` (the Bedrock model id actually called; the request's
``modelId`` is ignored so the stack's default id cannot pick a model you did not choose),
``region`` (default ``us-east-1``), ``profile``.

Errors: Bedrock's own error codes are passed on unchanged (ThrottlingException stays 429, ...);
no credentials or no network → ServiceUnavailableException. Configured endpoint overrides
(``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``) are ignored, so it can never loop back to the stand-in.

LIMITATIONS: not exercised by the tests (they run offline); non-streaming only (ConverseStream
is served from the complete answer); content blocks other than text/toolUse are dropped.
"""

from __future__ import annotations

from typing import Any

from ..wire import (
    ERROR_STATUS,
    BedrockError,
    ContentBlock,
    ConverseRequest,
    ModelTurn,
    ServiceUnavailableException,
    ToolUseBlock,
)


class AwsBackend:
    name = "aws"

    def __init__(self, model: str, region: str = "us-east-1", profile: str | None = None,
                 client: Any = None) -> None:
        self.model, self.region = model, region
        if client is None:
            import boto3
            from botocore.config import Config

            session = boto3.Session(profile_name=profile, region_name=region)
            client = session.client("bedrock-runtime", config=Config(ignore_configured_endpoint_urls=True,
                                                                     retries={"max_attempts": 2}))
        self._client = client

    def reset(self) -> None:
        """Stateless."""

    def describe(self) -> dict[str, Any]:
        return {"ok": True, "model": self.model, "region": self.region}

    def converse(self, model_id: str, request: ConverseRequest) -> ModelTurn:
        from botocore.exceptions import BotoCoreError, ClientError

        body = request.dump()
        try:
            r = self._client.converse(modelId=self.model, **body)
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            message = e.response.get("Error", {}).get("Message", str(e))
            raise BedrockError(message, code=code if code in ERROR_STATUS else "ServiceUnavailableException") from e
        except BotoCoreError as e:
            raise ServiceUnavailableException(f"Amazon Bedrock is unreachable: {e}") from e
        blocks = []
        for b in r["output"]["message"]["content"]:
            if "text" in b:
                blocks.append(ContentBlock(text=b["text"]))
            elif "toolUse" in b:
                blocks.append(ContentBlock(toolUse=ToolUseBlock(**b["toolUse"])))
        usage = r.get("usage") or {}
        return ModelTurn(content=blocks or [ContentBlock(text=" ")], stop_reason=r.get("stopReason", "end_turn"),
                         input_tokens=usage.get("inputTokens"), output_tokens=usage.get("outputTokens"))

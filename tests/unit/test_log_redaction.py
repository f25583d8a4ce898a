from __future__ import annotations

import json
import logging

import pytest

from services.core.logging import REDACTED, get_logger, redact

JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl"


@pytest.mark.parametrize("text", [
    f"Authorization: Bearer {JWT}", f"token {JWT} rejected", "password=fairway-2025&username=a",
    '{"client_secret": "s3cr3t-value", "x": 1}', "x-api-key: abcdef123456", "Bearer opaque-token-12345",
    '{"access_token":"abc.def.ghi-long-value"}',
])
def test_secrets_and_tokens_are_redacted(text):
    cleaned = redact(text)
    assert REDACTED in cleaned
    for secret in (JWT, "fairway-2025", "s3cr3t-value", "abcdef123456", "opaque-token-12345", "abc.def.ghi"):
        assert secret not in cleaned


def test_plain_text_is_untouched():
    assert redact("message msg_20260101_123456 delivered in 12 ms") == "message msg_20260101_123456 delivered in 12 ms"


def test_logger_emits_redacted_json(capsys):
    logger = get_logger("test-service")
    logger.info("calling golf", extra={"authorization": f"Bearer {JWT}"})
    logging.getLogger("services.core.test_module_logger").warning("password=hunter2")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert line["service"] == "test-service" and line["message"] == "calling golf"
    assert JWT not in json.dumps(line)

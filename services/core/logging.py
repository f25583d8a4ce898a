"""Structured JSON logs for every function: request id, trace id, and nothing secret.

Built on aws-lambda-powertools ``Logger`` (JSON lines with ``function_request_id``, ``cold_start``
and ``xray_trace_id`` from ``_X_AMZN_TRACE_ID``). The formatter scrubs what must never reach a log,
whatever a caller passes: bearer tokens and JWTs, passwords, secrets, API keys, client secrets.
Module loggers (``logging.getLogger(__name__)``) get the same handler, so they log JSON too.
"""

from __future__ import annotations

import logging
import re

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

REDACTED = "[REDACTED]"
_PATTERNS = (
    # JSON Web Tokens, with or without "Bearer "
    (re.compile(r"(?i)(bearer\s+)?eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/-]{8,}=*"), r"\1" + REDACTED),
    # key=value and "key": "value" for secret-looking keys
    (re.compile(r'(?i)((?:password|passwd|secret|client_secret|api[_-]?key|access_token|refresh_token|'
                r'id_token|authorization|x-api-key)\\?"?\s*[:=]\s*\\?"?)([^"&,\s}\\]+)'), r"\1" + REDACTED),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(LambdaPowertoolsFormatter):
    def format(self, record: logging.LogRecord) -> str:  # noqa: A003 - the stdlib's name
        return redact(super().format(record))


def get_logger(service: str) -> Logger:
    """The function's logger; call once in its handler module, after its other imports."""
    logger = Logger(service=service, logger_formatter=RedactingFormatter())
    copy_config_to_registered_loggers(source_logger=logger, include={
        name for name in logging.root.manager.loggerDict if name.startswith("services")})
    return logger

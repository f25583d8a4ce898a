"""Secrets Manager reader: JSON objects of strings, cached for five minutes per process.

A secret's value never appears in an error message or a log line; only its name does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.core import clock
from services.core.dynamo import error_code
from services.core.errors import ConfigurationError, UpstreamError

DEFAULT_TTL = timedelta(minutes=5)
_NOT_CONFIGURED = {"ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure",
                   "InvalidRequestException", "InvalidParameterException", "ValidationException"}


class SecretsReader:
    def __init__(self, secretsmanager: Any, *, ttl: timedelta = DEFAULT_TTL,
                 now: Callable[[], datetime] = clock.now) -> None:
        self._sm = secretsmanager
        self._ttl = ttl
        self._now = now
        self._cache: dict[str, tuple[dict[str, str], datetime]] = {}
        self._lock = threading.Lock()

    def get_json(self, name: str) -> dict[str, str]:
        """The secret ``name`` as a dict of strings (a copy; cached for ``ttl``)."""
        now = self._now()
        with self._lock:
            cached = self._cache.get(name)
        if cached and now - cached[1] < self._ttl:
            return dict(cached[0])
        value = self._fetch(name)
        with self._lock:
            self._cache[name] = (value, now)
        return dict(value)

    def invalidate(self, name: str) -> None:
        """Forget a cached secret (e.g. when the credentials in it were just rejected)."""
        with self._lock:
            self._cache.pop(name, None)

    def _fetch(self, name: str) -> dict[str, str]:
        try:
            response = self._sm.get_secret_value(SecretId=name)
        except ClientError as exc:
            code = error_code(exc)
            if code in _NOT_CONFIGURED:
                raise ConfigurationError(f"failed to retrieve secret {name}: {code}") from None
            raise UpstreamError(f"failed to retrieve secret {name}: {code or 'error'}") from None
        except BotoCoreError as exc:
            raise UpstreamError(f"failed to retrieve secret {name}: {type(exc).__name__}") from None
        text = response.get("SecretString")
        if not isinstance(text, str):
            raise ConfigurationError(f"secret {name} has no string value")
        try:
            value = json.loads(text)
        except ValueError:
            raise ConfigurationError(f"secret {name} is not valid JSON") from None
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in value.items()):
            raise ConfigurationError(f"secret {name} must be a JSON object of strings")
        return value

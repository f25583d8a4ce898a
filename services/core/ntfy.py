"""ntfy notifier: POST the text to the topic URL with Title, Priority and Tags headers.

Retries any transport error or non-2xx answer, ``max_attempts`` in all, with exponential backoff
(``backoff``, ``2*backoff``...). ``sleep`` is injectable so tests do not wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from services.core.errors import UpstreamError

PRIORITIES = {"min": 1, "low": 2, "default": 3, "high": 4, "max": 5, "urgent": 5}


@dataclass(frozen=True)
class Notification:
    message: str
    title: str | None = None
    priority: int | None = None  # 1..5, ntfy's scale
    tags: Sequence[str] = ()


class NtfyNotifier:
    def __init__(self, client: httpx.Client, topic_url: str, *, max_attempts: int = 3,
                 backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._url = topic_url
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._sleep = sleep

    def send(self, notification: Notification) -> None:
        # Header values must be latin-1 on the wire; ntfy accepts RFC 2047 for the rest.
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if notification.title:
            headers["Title"] = _header_safe(notification.title)
        if notification.priority:
            headers["Priority"] = str(notification.priority)
        if notification.tags:
            headers["Tags"] = _header_safe(",".join(notification.tags))
        last_error = ""
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1:
                self._sleep(self._backoff * 2 ** (attempt - 2))
            try:
                response = self._client.post(self._url, content=notification.message.encode(), headers=headers)
            except httpx.HTTPError as exc:
                last_error = f"failed to send HTTP request: {type(exc).__name__}"
                continue
            if response.is_success:
                return
            last_error = f"ntfy returned status {response.status_code}: {response.text[:200]}"
        raise UpstreamError(f"failed to send notification after {self._max_attempts} attempts: {last_error}")


def _header_safe(value: str) -> str:
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        from email.header import Header

        return Header(value, "utf-8").encode()

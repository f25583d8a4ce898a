from __future__ import annotations

import httpx
import pytest

from services.core.errors import UpstreamError
from services.core.ntfy import Notification, NtfyNotifier


def _notifier(handler, attempts=3):
    sleeps: list[float] = []
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return NtfyNotifier(client, "https://ntfy.example/topic", max_attempts=attempts, backoff=1.0,
                        sleep=sleeps.append), sleeps


def test_sends_title_priority_and_tags():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "x"})

    notifier, sleeps = _notifier(handler)
    notifier.send(Notification("hello ⛳", title="Tee time ⛳", priority=4, tags=("golf", "rez")))
    request = seen[0]
    assert request.content.decode() == "hello ⛳"
    assert request.headers["Priority"] == "4" and request.headers["Tags"] == "golf,rez"
    assert request.headers["Title"].startswith("=?utf-8?")  # non-latin-1 title, RFC 2047 encoded
    assert sleeps == []


def test_retries_with_backoff_then_succeeds():
    answers = iter([httpx.Response(500), httpx.Response(502), httpx.Response(200)])
    notifier, sleeps = _notifier(lambda request: next(answers))
    notifier.send(Notification("x"))
    assert sleeps == [1.0, 2.0]


def test_gives_up_after_bounded_attempts():
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ConnectError("refused")

    notifier, sleeps = _notifier(handler, attempts=3)
    with pytest.raises(UpstreamError, match="after 3 attempts") as caught:
        notifier.send(Notification("x"))
    assert len(calls) == 3 and caught.value.retryable

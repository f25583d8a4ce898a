"""One event loop per container (``asyncio.Runner``), so async clients bound to it survive between
invocations; each invocation runs to completion on it, one at a time, as Lambda runs them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_runner: asyncio.Runner | None = None
_lock = threading.Lock()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    global _runner
    with _lock:
        if _runner is None:
            _runner = asyncio.Runner()
        return _runner.run(coroutine)

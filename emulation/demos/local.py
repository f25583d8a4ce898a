"""A stack started for one demo: any free ports, the clock frozen where the recording started."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from emulation.config import DEFAULT_PORTS, StackConfig
from emulation.demos.platform import Platform
from emulation.demos.spec import Demo


def frozen_start(demo: Demo) -> datetime:
    """A day before the recording's start, so the replay starts on the very day it was recorded."""
    if demo.recording is not None:
        return demo.recording.start - timedelta(days=1)
    return datetime.now(UTC).replace(microsecond=0)


@contextmanager
def self_started(demo: Demo, state_dir: Path) -> Iterator[Platform]:
    from emulation.stack import Stack

    config = StackConfig.from_env(state_dir=state_dir, frozen_at=frozen_start(demo),
                                  ntfy_backoff_seconds=0.01, http_backoff_seconds=0.01)
    config.ports = dict.fromkeys(DEFAULT_PORTS, 0)
    stack = Stack(config)
    stack.start()
    platform = None
    try:
        platform = Platform.connect(stack.urls.control)
        yield platform
    finally:
        if platform is not None:
            platform.close()
        stack.stop()

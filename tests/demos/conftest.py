"""One stack for the demos of a test worker, started frozen before every recording.

The demos then start on Mondays other than the ones they were recorded on (except the first), so
the tests also hold the replay to a recording made on another week, as on a user's running stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from emulation.config import StackConfig
from emulation.demos.platform import Platform
from emulation.stack import Stack

pytestmark = pytest.mark.e2e

FROZEN_AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(StackConfig.for_tests(tmp_path_factory.mktemp("rez-demos"), frozen_at=FROZEN_AT))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture()
def platform(demo_stack: Stack) -> Iterator[Platform]:
    found = Platform.connect(demo_stack.urls.control)
    try:
        yield found
    finally:
        found.close()

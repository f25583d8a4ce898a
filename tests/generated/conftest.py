"""The generated tier runs against the whole local stack, started as the e2e tier starts it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import api, control, stack  # noqa: F401 - fixtures shared with the e2e tier

pytestmark = pytest.mark.generated

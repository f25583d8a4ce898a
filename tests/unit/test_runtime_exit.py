"""How a dead runtime is described: Lambda's ``Runtime exited with error: ...`` wording."""

from __future__ import annotations

import signal

import pytest

from emulation.runtime.sandbox import describe_exit


@pytest.mark.parametrize(("returncode", "text"), [
    (-signal.SIGKILL, "signal: killed"), (-signal.SIGSEGV, "signal: segmentation fault"),
    (-signal.SIGTERM, "signal: terminated"), (-signal.SIGABRT, "signal: aborted"),
    (1, "exit status 1"), (0, "exit status 0"), (None, "signal: killed"),
])
def test_exit_descriptions(returncode, text):
    assert describe_exit(returncode) == text

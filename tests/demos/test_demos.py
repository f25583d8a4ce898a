"""Every demo of fixtures/demos, replayed on a stack and held to its recording and its checks."""

from __future__ import annotations

import pytest

from emulation.demos import demo_names, demo_path
from emulation.demos.runner import run_demo
from emulation.demos.spec import load_demo

pytestmark = pytest.mark.e2e

REQUIRED = {"golf-booking", "dlq-redrive", "week-of-schedules", "agent-on-schedule"}


def test_the_issue_s_demos_exist_and_are_recorded():
    assert set(demo_names()) >= REQUIRED
    for name in demo_names():
        demo = load_demo(demo_path(name))
        assert demo.recording is not None and demo.recording.exchanges, f"{name} has no recording"


@pytest.mark.parametrize("name", demo_names())
def test_demo_replays_its_recording(name, platform, tmp_path):
    demo = load_demo(demo_path(name))
    outcome = run_demo(demo, platform, scratch=tmp_path)
    assert outcome.mode == "replay" and outcome.start.weekday() == 0
    assert platform.clock()["frozen"]  # the stack was frozen before: the demo leaves it so
    # What each demo is about, beyond its own step checks:
    if name == "golf-booking":
        assert outcome.variables["confirmation"] and outcome.variables["session"].startswith("sess_")
    if name == "week-of-schedules":
        assert outcome.start.isoformat()[5:7] == "03"  # the week the US springs forward
    assert all("${" not in line for line in outcome.look_at)

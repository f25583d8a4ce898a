"""A recorded demo run against the stack the console watches: its trace appears in the console
and is drawn as a sequence diagram (what a new user does after ``rez demo run golf-booking``)."""

from __future__ import annotations

from playwright.sync_api import expect

from emulation.demos import demo_path
from emulation.demos.platform import Platform
from emulation.demos.runner import run_demo
from emulation.demos.spec import load_demo
from tests.e2e.conftest import unbooked_golf_days  # noqa: F401  (a fixture)


def test_a_demo_runs_and_its_trace_appears_in_the_console(page, shot, stack, unbooked_golf_days, tmp_path):  # noqa: F811
    page.goto(f"{stack.urls.control}/_rez/console/#/traces")
    expect(page.locator("#status")).to_contain_text("updated")
    platform = Platform.connect(stack.urls.control)
    try:
        outcome = run_demo(load_demo(demo_path("golf-booking")), platform, scratch=tmp_path)
    finally:
        platform.close()
    assert outcome.mode == "replay" and outcome.variables["confirmation"]
    session = outcome.variables["session"]

    page.goto(f"{stack.urls.control}/_rez/console/#/traces/{session}")
    expect(page.locator("#diagram svg")).to_be_visible(timeout=30_000)
    expect(page.locator("#diagram")).to_contain_text("Agent")
    shot("1-golf-booking-demo-trace")

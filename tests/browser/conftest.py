"""Real Chromium (Debian's package) driven by Playwright, against the same session stack as tests/e2e.

The browser is the system one (``/usr/bin/chromium``): nothing is downloaded (never ``playwright
install``). Absent, the tests skip with the reason — except on CI (``CI`` set), where ``.ci/run``
installs it and its absence is a failure. Screenshots go to ``build/test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

# The e2e fixtures, shared rather than duplicated: the stack, signed-in API client, control, ntfy.
from tests.e2e.conftest import api, control, ntfy, stack  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "browser"
_OUTCOME = pytest.StashKey[pytest.TestReport]()
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)
            # One xdist worker runs them back to back (``--dist loadgroup``): Playwright's sync API
            # keeps an event loop running in the thread while it is open, which would break the
            # ``asyncio.run`` of any other test run in between.
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_OUTCOME] = report
    return report


def pytest_terminal_summary(terminalreporter) -> None:
    if ARTIFACTS.is_dir() and any(ARTIFACTS.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {ARTIFACTS}")


@pytest.fixture(scope="module")  # closed after each module: see pytest_collection_modifyitems
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tier must run on CI: {reason}")
        pytest.skip(reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev dependency
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)  # a shared 2-core machine: the stack may answer slowly
    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh, temporary user-data-dir.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(autouse=True)
def _healthy_fakes(chromium, request: pytest.FixtureRequest) -> Iterator[None]:
    """As in tests/e2e, and after ``chromium``: without a browser the test skips before a stack starts."""
    origins = request.getfixturevalue("stack").urls.fakes.values()
    yield
    for origin in origins:
        httpx.delete(f"{origin}/_fake/faults", timeout=10)


@pytest.fixture()
def page(chromium, request: pytest.FixtureRequest) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    outcome = request.node.stash.get(_OUTCOME, None)
    if outcome is not None and outcome.failed:  # what the browser showed when the test failed
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{_safe(request.node.name)}--FAILED.png"), full_page=True)
    else:
        (ARTIFACTS / f"{_safe(request.node.name)}--FAILED.png").unlink(missing_ok=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture()
def shot(page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``shot("step")`` saves a full-page screenshot named after the test and the step."""
    test = _safe(request.node.name)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(step: str) -> Path:
        path = ARTIFACTS / f"{test}--{step}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path
    return save


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)

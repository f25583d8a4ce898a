"""Running one demo step against the platform: its action, its expectations, what it saves."""

from __future__ import annotations

import time
from typing import Any

import httpx

from emulation.demos.checks import MISSING, evaluate, lookup
from emulation.demos.context import DemoError, Variables
from emulation.demos.platform import Platform
from emulation.demos.spec import Call, Step


class StepRunner:
    def __init__(self, platform: Platform, variables: Variables) -> None:
        self.platform = platform
        self.vars = variables
        self._inbox_from = len(platform.inbox())

    def run(self, template: Step) -> Any:
        """Run a step (its ``${...}`` filled from the variables); returns the value it checked."""
        step = Step.model_validate(self.vars.fill(template.model_dump(by_alias=True, exclude_none=True)))
        deadline = time.monotonic() + step.timeout
        while True:
            status, value = self._act(step)
            try:
                checked, captures = evaluate(step.expect, status, value) if step.expect else (value, {})
                self._save(step, checked, captures)
                return checked
            except DemoError as exc:
                # ``until``: the platform is still working on what an earlier step started (a queue
                # to drain, a retry due); only a step that may be repeated safely says so.
                if not step.until or time.monotonic() > deadline:
                    waited = f" (waited {step.timeout:.0f}s)" if step.until else ""
                    raise DemoError(f"{exc}{waited}") from None
                time.sleep(0.25)

    def _save(self, step: Step, value: Any, captures: dict[str, Any]) -> None:
        self.vars.update(captures)
        for name, path in step.save.items():
            found = lookup(value, path)
            if found is MISSING:
                raise DemoError(f"save {name}: {path} is missing in the answer")
            self.vars[name] = found
        if step.chat is not None and isinstance(value, dict) and value.get("session_id"):
            self.vars["session"] = value["session_id"]

    def _act(self, step: Step) -> tuple[int, Any]:
        p = self.platform
        if step.api is not None:
            return _send(p.api, step.api)
        if step.control is not None:
            return _send(p.control, step.control)
        if step.fake is not None:
            with httpx.Client(base_url=p.fake_url(step.fake.name), timeout=30) as client:
                return _send(client, step.fake)
        if step.chat is not None:
            body = {"message": step.chat}
            if self.vars.get("session"):
                body["session_id"] = self.vars["session"]
            return _answer(p.api.post("/agent", json=body))
        if step.inbox is not None:
            return 200, {"messages": p.inbox()[self._inbox_from:]}
        verb, _, amount = (step.clock or "").partition(" ")
        if verb != "advance" or not amount:
            raise DemoError(f"clock: expected 'advance <duration>', got {step.clock!r}")
        return _answer(p.control.post("/_rez/clock/advance", json={"by": amount}))


def _send(client: httpx.Client, call: Call) -> tuple[int, Any]:
    return _answer(client.request(call.method, call.path, json=call.json_body, params=call.params))


def _answer(response: httpx.Response) -> tuple[int, Any]:
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text

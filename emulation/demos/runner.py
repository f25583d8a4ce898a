"""Running a demo on a stack: replaying its recording (``rez demo run``) or making it (``rez record``).

The run freezes the platform clock at the demo's start (a Monday later than the stack's now), so
what happens is the same every time; it puts the Bedrock stand-in on the recorded turns (or on the
demo's scenario), heals the fakes, runs the steps, compares the exchanges with the recording, and
puts the clock and the model back as they were (the clock stays where the demo left it: it only
moves forward).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulation.demos.context import DemoError, Variables, shift_dates, start_for
from emulation.demos.exchanges import Comparison, ExchangeWatch
from emulation.demos.narrate import Narrator
from emulation.demos.platform import Platform
from emulation.demos.redact import redact
from emulation.demos.spec import Demo, Recording
from emulation.demos.steps import StepRunner


@dataclass
class Outcome:
    demo: str
    mode: str  # replay | record | unrecorded
    start: datetime
    seconds: float
    variables: dict[str, Any]
    look_at: list[str] = field(default_factory=list)
    recording: Recording | None = None


def run_demo(demo: Demo, platform: Platform, *, record: bool = False, narrator: Narrator | None = None,
             scratch: Path = Path(".rez/demos")) -> Outcome:
    narrator = narrator or Narrator.quiet()
    was_frozen, backend = platform.clock()["frozen"], platform.bedrock_backend()
    start = start_for(demo.start, platform.now())
    mode = "record" if record else ("replay" if demo.recording else "unrecorded")
    if demo.llm == "recorded" and mode == "unrecorded":
        raise DemoError(f"demo {demo.name!r} replays recorded model turns, and has none: `rez record {demo.name}`")
    platform.heal_fakes()
    # Jump to the start, then fire what fell due on the way (each timer once, now), before the demo's
    # first step: a jump of months would otherwise fire it all during the demo's first clock move.
    platform.control.post("/_rez/clock/freeze", json={"at": start.isoformat()}).raise_for_status()
    platform.control.post("/_rez/clock/advance", json={"by": "0"}).raise_for_status()
    started = time.perf_counter()
    variables = Variables.for_start(start)
    switched = False
    try:
        switched = _use_model(demo, platform, start, record, scratch)
        watch = ExchangeWatch(platform)
        comparison = Comparison(shift_dates(demo.recording.exchanges, _days(demo.recording.start, start),
                                            demo.recording.start.date())) if mode == "replay" else None
        runner = StepRunner(platform, variables)
        narrator.begin(demo, start, mode, platform)
        seen: list[list[str]] = []
        for number, step in enumerate(demo.steps, 1):
            narrator.step(number, step)
            failure: DemoError | None = None
            try:
                value = runner.run(step)
            except DemoError as exc:
                failure, value = exc, None
            lines = watch.take()
            seen.append(lines)
            if comparison is not None:
                comparison.check(number, step.say, lines)  # a divergence explains a failure best
            if failure is not None:
                raise DemoError(f"step {number} ({step.say}): {failure}")
            narrator.done(number, step, value, lines)
        trailing = watch.settle()  # work the last steps started (an alarm's OK alert, say)
        seen[-1] += trailing
        if comparison is not None:
            comparison.check(len(demo.steps), demo.steps[-1].say, trailing)
            comparison.finish()
        seconds = time.perf_counter() - started
        recording = _recording(demo, start, backend, watch, seen) if record else None
        look_at = [variables.fill(line) for line in demo.look_at]
        outcome = Outcome(demo.name, mode, start, seconds, dict(variables), look_at, recording)
        narrator.end(outcome, platform)
        return outcome
    finally:
        runner_cleanup(demo, platform, variables)
        if switched:  # by name: options the backend was given at run time are not restored
            platform.use_bedrock(backend)
        platform.heal_fakes()
        if not was_frozen:
            platform.control.post("/_rez/clock/unfreeze")


def runner_cleanup(demo: Demo, platform: Platform, variables: Variables) -> None:
    """The demo's ``cleanup`` steps, whatever happened: what it created must not act in the next one."""
    if not demo.cleanup:
        return
    cleaner = StepRunner(platform, variables)
    for step in demo.cleanup:
        try:
            cleaner.run(step)
        except DemoError:
            continue  # e.g. nothing to clean: the step that would have made it never ran


def _days(recorded: datetime, now: datetime) -> int:
    return (now.astimezone(UTC).date() - recorded.astimezone(UTC).date()).days


def _use_model(demo: Demo, platform: Platform, start: datetime, record: bool, scratch: Path) -> bool:
    """Recording keeps the stack's model (``intent``, or a real one); a replay answers from a script."""
    if demo.llm is None or (record and demo.llm == "recorded"):
        return False
    if demo.llm != "recorded":
        platform.use_bedrock("scripted", default=demo.llm)
        return True
    scenario = shift_dates(demo.recording.scenario, _days(demo.recording.start, start),
                           demo.recording.start.date())
    scratch.mkdir(parents=True, exist_ok=True)
    path = (scratch / f"{demo.name}.scenario.json").resolve()
    path.write_text(json.dumps(scenario, indent=1, ensure_ascii=False), encoding="utf-8")
    platform.use_bedrock("scripted", scenarios=str(path), default=scenario["name"])
    return True


def _recording(demo: Demo, start: datetime, backend: str, watch: ExchangeWatch, seen: list[list[str]]) -> Recording:
    from emulation.demos.generalise import generalise
    from emulation.fakes.bedrock.backends.scenarios import scenario_from_calls

    scenario = None
    if demo.llm == "recorded":
        calls = [c for c in watch.raw_calls if "response" in c]
        scenario = redact(generalise(scenario_from_calls(f"demo-{demo.name}", calls,
                                                         f"model turns of demo {demo.name}, recorded with {backend}"),
                                     calls))
    return Recording(start=start, recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
                     llm_backend=backend if demo.llm else None, scenario=scenario, exchanges=seen)

"""Telling the user what a demo does, step by step, and where to look afterwards."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from datetime import datetime

    from emulation.demos.platform import Platform
    from emulation.demos.runner import Outcome
    from emulation.demos.spec import Demo, Step


class Narrator:
    def __init__(self, console: Console | None, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.self_started = False
        self._began = 0.0
        self._total = 0

    @classmethod
    def quiet(cls) -> Narrator:
        return cls(None)

    def _print(self, *args: Any, **kwargs: Any) -> None:
        if self.console is not None:
            self.console.print(*args, **kwargs)

    def begin(self, demo: Demo, start: datetime, mode: str, platform: Platform) -> None:
        self._total = len(demo.steps)
        how = {"replay": "replaying its recording (scripted model, compared exchange by exchange)",
               "record": f"recording it (model: {platform.bedrock_backend()})",
               "unrecorded": "no recording to compare with"}[mode]
        if self.console is None:
            return
        self.console.rule(f"[bold]{demo.title}[/bold]")
        self.console.print(demo.description or demo.summary, soft_wrap=False, highlight=False)
        self.console.print(f"[dim]Platform clock frozen at {start:%a %Y-%m-%d %H:%M} UTC; {how}.[/dim]\n",
                           soft_wrap=False)

    def step(self, number: int, step: Step) -> None:
        self._began = time.perf_counter()
        bar = "█" * number + "░" * (self._total - number)
        self._print(f"[cyan]{bar}[/cyan] [bold]{number}/{self._total}[/bold] {step.say}", highlight=False)

    def done(self, number: int, step: Step, value: Any, exchanges: list[str]) -> None:
        shown = _summary(step, value)
        took = f"[dim]{time.perf_counter() - self._began:.1f}s[/dim]"
        self._print(f"      [green]✓[/green] {took} {shown}", markup=True, highlight=False)
        if self.verbose:
            for line in exchanges:
                self._print(f"        [dim]{line}[/dim]", highlight=False)
        elif exchanges:
            self._print(f"        [dim]{len(exchanges)} exchange(s) with the model and the outside world[/dim]")

    def end(self, outcome: Outcome, platform: Platform) -> None:
        verdict = {"replay": "matched its recording", "record": "recorded",
                   "unrecorded": "ran (no recording compared)"}[outcome.mode]
        self._print(f"\n[bold green]Demo {outcome.demo} {verdict}[/bold green] in {outcome.seconds:.1f}s.")
        control = platform.control_url
        self._print("\n[bold]Look at:[/bold]")
        self._print(f"  console         {control}/_rez/console", highlight=False)
        for line in outcome.look_at:
            self._print(f"  {line}", highlight=False, markup=False)
        self._print(f"  ntfy inbox      {platform.urls['ntfy']}/", highlight=False)
        self._print(f"  platform clock  {platform.clock()['now']} (it only moves forward)", highlight=False)
        if self.self_started:
            self._print("[dim]This stack was started for the demo and stops now: `rez demo run --keep` keeps it up, "
                        "or run the demo on `make up`.[/dim]", soft_wrap=False)


def _summary(step: Step, value: Any) -> str:
    from emulation.demos.checks import lookup

    if step.chat is not None and isinstance(value, dict) and isinstance(value.get("message"), str):
        return "agent: " + _clip(value["message"], 300).replace("[", "\\[")
    checks = step.expect.json_checks if step.expect else {}
    if checks:
        shown = "  ".join(_shown(path, lookup(value, path)) for path in checks)
        return shown.replace("[", "\\[")
    if isinstance(value, dict) and value.get("fired") is not None:
        return f"clock now {value.get('now')}, {value['fired']} timer(s) fired"
    if isinstance(value, dict | list) and value:
        return _clip(json.dumps(value, default=str), 160).replace("[", "\\[")
    return ""


def _shown(path: str, value: Any) -> str:
    if not path and isinstance(value, list):
        return f"{len(value)} found"
    return f"{path.rsplit('.', 1)[-1]}: {_clip(str(value), 200)}"


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"

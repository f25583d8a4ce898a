"""``rez demo list | run NAME`` and ``rez record NAME``."""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from emulation.config import DEFAULT_PORTS, port_env_var
from emulation.demos import DEMO_DIR, demo_names, demo_path
from emulation.demos.context import DemoError
from emulation.demos.narrate import Narrator
from emulation.demos.spec import load_demo, save_recording

console = Console(soft_wrap=True)
demo_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="Recorded demos: offline, deterministic, narrated, and checked.")


def _control_url() -> str:
    return f"http://127.0.0.1:{os.environ.get(port_env_var('control'), DEFAULT_PORTS['control'])}"


def _running(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/_rez/health", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def _platform(demo, fresh: bool, keep: bool):
    from emulation.demos.local import self_started
    from emulation.demos.platform import Platform

    url = _control_url()
    if not fresh and _running(url):
        console.print(f"[dim]Using the stack at {url}.[/dim]")
        platform = Platform.connect(url)
        try:
            yield platform
        finally:
            platform.close()
        return
    why = "--fresh" if fresh else f"nothing answers at {url}"
    with console.status(f"Starting a stack for the demo ({why}): frozen clock, fakes, scripted model..."):
        context = self_started(demo, Path(".rez") / "demo-stack")
        platform = context.__enter__()
    try:
        yield platform
        if keep:
            console.print(f"\n[bold]The stack stays up[/bold] (control {platform.control_url}, "
                          f"HTTP API {platform.urls['api']}); Ctrl-C stops it.")
            done = threading.Event()
            signal.signal(signal.SIGINT, lambda *_: done.set())
            done.wait()
    finally:
        with console.status("Stopping the demo's stack..."):
            context.__exit__(None, None, None)


@demo_app.command("list")
def list_demos(directory: Path = typer.Option(DEMO_DIR, help="Where demo files are.")) -> None:
    """The demos, with what each shows and whether it has a recording."""
    table = Table(show_header=True, header_style="bold")
    for column in ("demo", "what it shows", "recorded"):
        table.add_column(column)
    for name in demo_names(directory):
        demo = load_demo(demo_path(name, directory))
        recorded = demo.recording.recorded_at[:10] if demo.recording else "no"
        table.add_row(name, demo.summary, recorded)
    console.print(table)
    console.print("Run one: [bold]rez demo run NAME[/bold] (or [bold]make demo NAME=...[/bold])")


@demo_app.command("run")
def run(name: str = typer.Argument(..., help="A demo from `rez demo list`."),
        fresh: bool = typer.Option(False, help="Start a stack for the demo even if one is running."),
        keep: bool = typer.Option(False, help="Keep a stack the demo started up afterwards, to look around."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Print every exchange."),
        screenshot: Path = typer.Option(None, help="Also save the narration as an SVG image there."),
        directory: Path = typer.Option(DEMO_DIR, help="Where demo files are.")) -> None:
    """Run a demo on the running stack (or on one it starts), replaying and checking its recording."""
    from emulation.demos.runner import run_demo

    demo = _load(name, directory)
    out = Console(soft_wrap=True, record=True, width=110) if screenshot else console
    try:
        with _platform(demo, fresh, keep) as platform:
            narrator = Narrator(out, verbose)
            narrator.self_started = not keep and platform.control_url != _control_url()
            run_demo(demo, platform, narrator=narrator)
    except DemoError as exc:
        out.print(f"\n[bold red]Demo {name} failed.[/bold red]\n{exc}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        if screenshot:
            import re

            screenshot.parent.mkdir(parents=True, exist_ok=True)
            svg = out.export_svg(title=f"rez demo run {name}")
            # rich's template loads a font from a CDN; the image stays offline with the local monospace
            screenshot.write_text(re.sub(r"@font-face\s*{[^}]*}", "", svg), encoding="utf-8")


def record(name: str = typer.Argument(..., help="The demo whose steps to run and record."),
           fresh: bool = typer.Option(False, help="Start a stack for the recording even if one is running."),
           directory: Path = typer.Option(DEMO_DIR, help="Where demo files are.")) -> None:
    """Run a demo's steps live (the stack's model and outside services) and save what happened as its recording."""
    from emulation.demos.runner import run_demo

    path = demo_path(name, directory)
    demo = _load(name, directory)
    try:
        with _platform(demo, fresh, keep=False) as platform:
            outcome = run_demo(demo, platform, record=True, narrator=Narrator(console, verbose=True))
    except DemoError as exc:
        console.print(f"\n[bold red]Recording {name} failed; {path} is unchanged.[/bold red]\n{exc}",
                      highlight=False)
        raise typer.Exit(1) from None
    save_recording(path, outcome.recording)
    turns = len((outcome.recording.scenario or {}).get("turns", []))
    lines = sum(len(step) for step in outcome.recording.exchanges)
    console.print(f"Saved to {path}: {turns} model turn(s), {lines} exchange line(s), secrets redacted.")


def _load(name: str, directory: Path):
    try:
        return load_demo(demo_path(name, directory))
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None

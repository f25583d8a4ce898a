"""Recorded demos: scripted walks through the running platform that narrate and check themselves.

A demo is one file in ``fixtures/demos/<name>.json`` (format: ``spec.py``): where on the platform
clock it starts, the steps (HTTP API calls, chats with the agent, clock moves, fake faults, waits),
what each step must show, and the recording — the LLM turns and the HTTP exchanges with the
outside world seen when it was recorded. ``rez demo run`` replays it (the LLM answers from the
recorded turns) and fails at the first exchange that differs; ``rez record`` makes the recording.
"""

from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "demos"


def demo_path(name: str, directory: Path | None = None) -> Path:
    return (directory or DEMO_DIR) / f"{name}.json"


def demo_names(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or DEMO_DIR).glob("*.json"))

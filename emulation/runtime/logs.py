"""Per-function logs: what each function's processes printed, kept in memory and in a file."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class LogLine:
    seq: int
    time: str
    function: str
    text: str


class FunctionLogs:
    def __init__(self, directory: Path | None = None, keep: int = 5000) -> None:
        self._directory = directory
        self._lines: dict[str, deque[LogLine]] = defaultdict(lambda: deque(maxlen=keep))
        self._seq = 0
        self._lock = threading.Condition()
        if directory:
            directory.mkdir(parents=True, exist_ok=True)

    def append(self, function: str, text: str) -> None:
        with self._lock:
            self._seq += 1
            line = LogLine(self._seq, datetime.now(UTC).isoformat(timespec="milliseconds"), function, text)
            self._lines[function].append(line)
            self._lock.notify_all()
        if self._directory:
            with open(self._directory / f"{function}.log", "a", encoding="utf-8") as handle:
                handle.write(f"{line.time} {text}\n")

    def lines(self, function: str | None = None, after: int = 0) -> list[LogLine]:
        with self._lock:
            groups = [self._lines[function]] if function else list(self._lines.values())
            merged = [line for group in groups for line in group if line.seq > after]
        return sorted(merged, key=lambda line: line.seq)

    def follow(self, function: str | None, after: int = 0, timeout: float = 1.0) -> Iterator[LogLine]:
        with self._lock:
            self._lock.wait_for(lambda: self._seq > after, timeout=timeout)
        yield from self.lines(function, after)

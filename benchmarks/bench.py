"""``make bench``: numbers for this machine, printed, never asserted.

* start: stack start to ready (emulator up, manifest provisioned, functions warm, servers listening);
* latency: POST /api/messages -> notification in the ntfy inbox, p50/p95/p99 over sequential messages;
* throughput: messages delivered end to end per second with concurrent clients;
* memory: peak RSS of the stack (the platform process and every child: moto, function workers);
* floor: the same AWS calls and HTTP hops made directly (boto3 + httpx, no gateway, no queue poller,
  no function workers) against the same emulator, so the platform's overhead is a ratio.

Usage: python -m benchmarks.bench [--messages 500] [--burst 1000] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from emulation.config import StackConfig
from emulation.stack import Stack


def _tree_rss_kib(root: int) -> int:
    """RSS of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields["PPid"].strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class PeakRss:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_kib(os.getpid()))
            self._stop.wait(0.2)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(int(q * len(ordered)), len(ordered) - 1)]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


def _arrivals(stack: Stack) -> dict[str, float]:
    """Record when each message text reaches the ntfy fake (wraps its store)."""
    arrived: dict[str, float] = {}
    store = stack.fake("ntfy").store
    original = store.add

    def add(message: dict) -> None:
        arrived[message["message"]] = time.perf_counter()
        original(message)

    store.add = add
    return arrived


def _wait(arrived: dict[str, float], texts: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(t in arrived for t in texts):
        if time.monotonic() > deadline:
            missing = sum(1 for t in texts if t not in arrived)
            raise SystemExit(f"{missing} messages not delivered within {timeout:.0f}s")
        time.sleep(0.002)


def _auth(stack: Stack):
    from emulation.auth import PasswordGrantAuth

    return PasswordGrantAuth(f"{stack.urls.fakes['identity']}/identityapi")


def bench_latency(stack: Stack, arrived: dict[str, float], count: int) -> dict[str, float]:
    latencies = []
    with httpx.Client(base_url=stack.urls.api, auth=_auth(stack)) as client:
        for _ in range(count):
            text = f"lat-{uuid.uuid4()}"
            sent = time.perf_counter()
            client.post("/api/messages", json={"message_type": "notify", "payload": {"message": text}})
            _wait(arrived, [text], 30)
            latencies.append((arrived[text] - sent) * 1000)
    return _percentiles(latencies)


def bench_throughput(stack: Stack, arrived: dict[str, float], count: int, clients: int) -> dict[str, float]:
    texts = [f"tp-{uuid.uuid4()}" for _ in range(count)]
    started = time.perf_counter()
    with httpx.Client(base_url=stack.urls.api, limits=httpx.Limits(max_connections=clients),
                      auth=_auth(stack)) as client, \
            ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda t: client.post("/api/messages",
                                            json={"message_type": "notify", "payload": {"message": t}}), texts))
        accepted = time.perf_counter() - started
        _wait(arrived, texts, 600)
    elapsed = max(arrived[t] for t in texts) - started
    return {"messages": count, "accepted_per_s": count / accepted, "delivered_per_s": count / elapsed,
            "seconds": elapsed}


def bench_floor(stack: Stack, count: int) -> dict[str, float]:
    """See ``benchmarks/floor.py``: the same calls, direct, from a separate process."""
    import subprocess
    import sys

    for poller in stack.pollers:
        poller.set_enabled(False)
    time.sleep(1.5)  # let in-flight long polls return before the floor reads the queue itself
    try:
        output = subprocess.run(
            [sys.executable, "-m", "benchmarks.floor", stack.urls.aws, stack.naming.table("messages"),
             stack.provisioned.topic_arns["notifications"],
             stack.provisioned.queue_urls[stack.naming.queue("notifications")], stack.urls.ntfy, str(count)],
            check=True, capture_output=True, text=True, timeout=600).stdout
    finally:
        for poller in stack.pollers:
            poller.set_enabled(True)
    return _percentiles(json.loads(output))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500, help="sequential messages for latency")
    parser.add_argument("--burst", type=int, default=1000, help="messages for the throughput run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients for throughput")
    parser.add_argument("--floor", type=int, default=200, help="messages for the floor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state, PeakRss() as rss:
        config = StackConfig.for_tests(Path(state))
        stack = Stack(config)
        started = time.perf_counter()
        stack.start()
        start_seconds = time.perf_counter() - started
        idle_rss = _tree_rss_kib(os.getpid())
        try:
            arrived = _arrivals(stack)
            bench_latency(stack, arrived, 20)  # warm-up, not reported
            latency = bench_latency(stack, arrived, args.messages)
            throughput = bench_throughput(stack, arrived, args.burst, args.clients)
            floor = bench_floor(stack, args.floor)
        finally:
            stack.stop()
    print(f"machine: {os.cpu_count()} cores; backend: moto server (child process)")
    print(f"stack start to ready:            {start_seconds:6.2f} s")
    print(f"POST -> delivered latency (n={args.messages}):  p50 {latency['p50']:6.1f} ms   "
          f"p95 {latency['p95']:6.1f} ms   p99 {latency['p99']:6.1f} ms")
    print(f"floor, same calls direct (n={args.floor}):     p50 {floor['p50']:6.1f} ms   "
          f"p95 {floor['p95']:6.1f} ms   p99 {floor['p99']:6.1f} ms")
    print(f"overhead ratio (p50 platform / p50 floor): {latency['p50'] / floor['p50']:.2f}x")
    print(f"throughput ({throughput['messages']} messages, {args.clients} clients): "
          f"{throughput['delivered_per_s']:.1f} delivered/s end to end "
          f"(accepted {throughput['accepted_per_s']:.1f}/s)")
    print(f"memory: idle {idle_rss / 1024:.0f} MiB, peak {rss.peak / 1024:.0f} MiB (platform + moto + workers)")


if __name__ == "__main__":
    main()

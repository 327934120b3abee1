"""`huashu serve` as a subprocess, for the benchmarks that measure the service from outside: its
own free port on 127.0.0.1, an environment without the caller's HUASHU_* settings, and stopped
(terminate, then kill) however the benchmark ends. The benchmarks import it as a sibling module
(`sys.path` holds this folder when a script here runs)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Served:
    base: str  # http://127.0.0.1:PORT
    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(*flags: str, env: Mapping[str, str] | None = None, stop_timeout_s: float = 15.0) -> Iterator[Served]:
    """`huashu serve --host 127.0.0.1 --port FREE *flags` with HUASHU_LOG_LEVEL=WARNING and `env`."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUASHU_")}
    environment["HUASHU_LOG_LEVEL"] = "WARNING"
    environment.update(env or {})
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port), *flags]
    proc = subprocess.Popen(cmd, cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield Served(f"http://127.0.0.1:{port}", proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def wait_ready(session: aiohttp.ClientSession, base: str, timeout_s: float = 900.0) -> None:
    """Until GET /readyz answers 200; exits the benchmark with a message after `timeout_s`. On a
    new store the service first builds the shop's snapshot: minutes the first time, seconds once
    the shop's embedding cache under the index folder holds its texts."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(base + "/readyz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise SystemExit(f"the service at {base} did not become ready in {timeout_s:.0f} s")


def pct(values: Sequence[float], q: float) -> float:
    """The `q` quantile (0..1) by nearest rank; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

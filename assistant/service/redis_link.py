"""One link to Redis that fails fast and heals by itself (issue 10, item 2).

Every Redis call of the service goes through `RedisLink.run`: bounded by a short timeout
(`HUASHU_REDIS_TIMEOUT_S`, 0.25 s by default) and never retried inline. The first failure marks
the link down (one warning line, not a traceback per request); while it is down, calls fail at
once with `RedisDown` and the callers answer from their in-process state. A watcher pings
Redis every `HUASHU_REDIS_RETRY_S` seconds and marks the link up again when it answers.

A killed Redis (connection refused) and a frozen one (SIGSTOP: the socket stays open, nothing
answers) look the same from here: a call that did not finish within the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger("assistant.service.redis")

T = TypeVar("T")


class RedisDown(Exception):
    """Redis did not answer within the timeout (or is known to be down): use local state."""


class RedisUnavailable(Exception):
    """Redis is required (`HUASHU_REDIS_REQUIRED`) and did not answer at start."""


def _client(url: str, timeout_s: float | None, connect_timeout_s: float) -> Any:
    import redis.asyncio as redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=connect_timeout_s,
        retry=Retry(NoBackoff(), 0),  # never retried inline: the watcher retries
        retry_on_timeout=False,
    )


class RedisLink:
    """The Redis client of one app, its health, and the watcher that brings it back."""

    def __init__(
        self,
        url: str,
        timeout_s: float = 0.25,
        retry_s: float = 2.0,
        on_change: Callable[[bool], None] | None = None,
        on_fallback: Callable[[], None] | None = None,
    ) -> None:
        self.url = url
        self.where = url.rsplit("@", 1)[-1].split("//", 1)[-1]  # host:port/db, never a password
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.client: Any = _client(url, timeout_s, timeout_s)
        self.problem = "not checked yet"
        self.failures = 0  # calls answered from local state since start
        self._up = asyncio.Event()
        self._down = asyncio.Event()
        self._down.set()
        self._on_change = on_change
        self._on_fallback = on_fallback
        self._since = time.monotonic()

    @property
    def up(self) -> bool:
        return self._up.is_set()

    def subscriber(self) -> Any:
        """A second client for a blocking subscription: no read timeout, short connect timeout."""
        return _client(self.url, None, self.timeout_s)

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """The result of `call()` on Redis, or `RedisDown` at once (down) or after the timeout."""
        if not self.up:
            self._fell_back()
            raise RedisDown(self.problem)
        try:
            async with asyncio.timeout(self.timeout_s):
                return await call()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # RedisError, OSError, TimeoutError: all mean "not now"
            self._mark_down(exc)
            self._fell_back()
            raise RedisDown(self.problem) from None

    def _fell_back(self) -> None:
        self.failures += 1
        if self._on_fallback is not None:
            self._on_fallback()

    async def check(self) -> bool:
        """One PING within the timeout; marks the link up or down and says which."""
        try:
            async with asyncio.timeout(self.timeout_s):
                await self.client.ping()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._mark_down(exc)
            return False
        self._mark_up()
        return True

    async def watch(self) -> None:
        """Runs until cancelled: while the link is down, PING every `retry_s` seconds."""
        while True:
            await self._down.wait()
            await asyncio.sleep(self.retry_s)
            await self.check()

    async def wait_up(self) -> None:
        await self._up.wait()

    async def wait_down(self) -> None:
        await self._down.wait()

    def _mark_down(self, exc: BaseException) -> None:
        problem = f"{type(exc).__name__}: {exc}" if str(exc) else f"no answer within {self.timeout_s} s"
        self.problem = problem
        if not self.up and self._down.is_set():
            return
        self._up.clear()
        self._down.set()
        self._since = time.monotonic()
        log.warning("redis unreachable; answering from this process's state", extra={"problem": problem})
        if self._on_change is not None:
            self._on_change(False)

    def _mark_up(self) -> None:
        if self.up:
            return
        was_down = self._down.is_set() and self.problem != "not checked yet"
        self.problem = ""
        self._down.clear()
        self._up.set()
        if was_down:
            log.warning("redis is back", extra={"down_s": round(time.monotonic() - self._since, 2)})
        if self._on_change is not None:
            self._on_change(True)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.aclose()

"""Reading a panel's server-sent event stream in tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientResponse


async def next_event(response: ClientResponse, timeout: float = 15.0) -> tuple[str, dict[str, Any]]:
    """The next `(event name, data)` of the stream (comments skipped)."""
    kind, data = "", ""
    async with asyncio.timeout(timeout):
        while True:
            line = (await response.content.readline()).decode()
            if not line:
                raise ConnectionError("the stream ended")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif not line and kind:
                return kind, json.loads(data)


async def next_update(response: ClientResponse, timeout: float = 15.0) -> dict[str, Any]:
    while True:
        kind, data = await next_event(response, timeout)
        if kind == "update":
            return data

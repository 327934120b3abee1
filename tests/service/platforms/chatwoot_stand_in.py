"""A local stand-in for Chatwoot's application API that records every request it gets.

`POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages` as Chatwoot
publishes it (Api::V1::Accounts::Conversations::MessagesController#create): authenticated by the
`api_access_token` header (401 otherwise), body `{"content", "message_type", "private"}`,
answered with the created message (`api/v1/conversations/partials/_message.json.jbuilder`:
`id`, integer `message_type`, Unix `created_at`, `private`, `sender`, ...). Its `id` is what the
echo check relies on.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from .chatwoot_payloads import AGENT

API_TOKEN = "chatwoot-api-token"


@dataclass
class Recorded:
    path: str
    token: str | None
    body: Any
    answered_id: int


class ChatwootStandIn:
    def __init__(self, token: str = API_TOKEN) -> None:
        self.token = token
        self.requests: list[Recorded] = []
        self.received = asyncio.Event()
        self.next_id = 9000
        app = web.Application()
        app.router.add_post("/api/v1/accounts/{account}/conversations/{conversation}/messages", self.create)
        self.server = TestServer(app, host="127.0.0.1")

    async def create(self, request: web.Request) -> web.Response:
        token = request.headers.get("api_access_token")
        body = await request.json()
        if token != self.token:
            self.requests.append(Recorded(request.path, token, body, 0))
            return web.json_response({"error": "You need to sign in or sign up before continuing."}, status=401)
        self.next_id += 1
        self.requests.append(Recorded(request.path, token, body, self.next_id))
        self.received.set()
        return web.json_response(
            {
                "id": self.next_id,
                "content": body.get("content"),
                "inbox_id": 1,
                "conversation_id": int(request.match_info["conversation"]),
                "message_type": 1 if body.get("message_type") == "outgoing" else 0,
                "content_type": "text",
                "status": "sent",
                "content_attributes": {},
                "created_at": int(time.time()),
                "private": bool(body.get("private")),
                "source_id": None,
                "sender": {"id": AGENT["id"], "name": AGENT["name"], "available_name": AGENT["name"], "type": "user"},
            }
        )

    async def note_for(self, conversation: int, timeout: float = 60) -> Recorded:
        """The first note created in this conversation (waiting for it)."""
        suffix = f"/conversations/{conversation}/messages"

        async def first() -> Recorded:
            while True:
                found = [r for r in self.requests if r.answered_id and r.path.endswith(suffix)]
                if found:
                    return found[0]
                self.received.clear()
                await self.received.wait()

        return await asyncio.wait_for(first(), timeout)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

"""Posting the suggestions back into Chatwoot as a private note (visible to agents only).

`POST {url}/api/v1/accounts/{account}/conversations/{conversation}/messages` with the
`api_access_token` header and `{"content": ..., "message_type": "outgoing", "private": true}`.
"""

from __future__ import annotations

import logging

import aiohttp

log = logging.getLogger("assistant.service.chatwoot")


class ChatwootClient:
    """A small client of Chatwoot's application API, on a session the app owns."""

    def __init__(self, session: aiohttp.ClientSession | None, base_url: str, token: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._token = token

    @property
    def enabled(self) -> bool:
        return self._session is not None and bool(self._base and self._token)

    async def post_private_note(self, account_id: int, conversation_id: int, content: str) -> int | None:
        """Create the note; its message id, or None when Chatwoot refused (logged)."""
        if self._session is None or not self.enabled:
            return None
        url = f"{self._base}/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages"
        body = {"content": content, "message_type": "outgoing", "private": True}
        async with self._session.post(url, json=body, headers={"api_access_token": self._token}) as response:
            if response.status >= 300:
                detail = (await response.text())[:300]
                log.warning(
                    "chatwoot refused the note",
                    extra={"status": response.status, "detail": detail, "url": url},
                )
                return None
            payload = await response.json(content_type=None)
        message_id = payload.get("id") if isinstance(payload, dict) else None
        return int(message_id) if isinstance(message_id, int) else None

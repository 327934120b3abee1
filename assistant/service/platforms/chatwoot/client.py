"""Posting the suggestions back into Chatwoot as a private note (visible to agents only).

`POST {api_url}/api/v1/accounts/{account}/conversations/{conversation}/messages` with the
`api_access_token` header and `{"content": ..., "message_type": "outgoing", "private": true}`
(Chatwoot's application API, `Api::V1::Accounts::Conversations::MessagesController#create`).
The answer is the created message; its `id` is remembered so the note's own `message_created`
echo is dropped as already seen.
"""

from __future__ import annotations

import logging

import aiohttp

log = logging.getLogger("assistant.service.chatwoot")


class ChatwootClient:
    """A small client of Chatwoot's application API, on a session the app owns; the base URL
    and the token are per shop."""

    def __init__(self, session: aiohttp.ClientSession | None) -> None:
        self._session = session

    async def post_private_note(
        self, api_url: str, token: str, account_id: int, conversation_id: int, content: str
    ) -> int | None:
        """Create the note; its message id, or None when Chatwoot refused or was unreachable (logged)."""
        return await self._create_message(api_url, token, account_id, conversation_id, content, private=True)

    async def post_reply(
        self, api_url: str, token: str, account_id: int, conversation_id: int, content: str
    ) -> int | None:
        """Send the agent's reply to the customer (the panel's "send"); its id, or None (logged)."""
        return await self._create_message(api_url, token, account_id, conversation_id, content, private=False)

    async def _create_message(
        self, api_url: str, token: str, account_id: int, conversation_id: int, content: str, *, private: bool
    ) -> int | None:
        if self._session is None or not (api_url and token):
            return None
        what = "note" if private else "reply"
        base = api_url.rstrip("/")
        url = f"{base}/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages"
        body = {"content": content, "message_type": "outgoing", "private": private}
        try:
            async with self._session.post(url, json=body, headers={"api_access_token": token}) as response:
                if response.status >= 300:
                    detail = (await response.text())[:300]
                    log.warning(
                        f"chatwoot refused the {what}",
                        extra={"status": response.status, "detail": detail, "url": url},
                    )
                    return None
                payload = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning(f"chatwoot unreachable for the {what}", extra={"url": url, "error": repr(exc)})
            return None
        message_id = payload.get("id") if isinstance(payload, dict) else None
        return message_id if isinstance(message_id, int) and not isinstance(message_id, bool) else None

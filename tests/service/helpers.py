"""Bodies and signatures the service tests send."""

from __future__ import annotations

import json
import time
from typing import Any

from assistant.service.platforms.signing import sign


def suggest_body(
    text: str = "快递几天能到",
    *,
    shop: str = "demo",
    conversation_id: str = "c-1",
    message_id: str = "m-1",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "shop": shop,
        "conversation_id": conversation_id,
        "message": {"id": message_id, "text": text, "sender": "customer"},
        **extra,
    }


def signed_headers(
    secret: str,
    body: bytes,
    *,
    prefix: str = "X-Huashu",
    timestamp: int | None = None,
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        f"{prefix}-Timestamp": ts,
        f"{prefix}-Signature": sign(secret, ts, body),
    }


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()

"""How an agent is named to people (the admin page's per-agent chart, the weekly report, the
candidate replies' agents), the same way whichever way the agent's work arrived.

The platform's display name when it gave one; else 客服 and the platform's agent id (Chatwoot's
sender id, the generic webhook's `agent_id`) or, for a panel action with no agent named, the
token's id, cut to `SHORT_ID` characters; else 未署名客服. Never "(unknown)" or a bare hex id.
"""

from __future__ import annotations

UNNAMED_AGENT = "未署名客服"
SHORT_ID = 8


def agent_label(name: str = "", agent_id: str = "") -> str:
    """The agent's name, else 客服 + the first `SHORT_ID` characters of their id, else 未署名客服."""
    if name.strip():
        return name.strip()
    if agent_id.strip():
        return f"客服 {agent_id.strip()[:SHORT_ID]}"
    return UNNAMED_AGENT

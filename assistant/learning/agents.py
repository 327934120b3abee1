"""How an agent is named to people (the admin page's per-agent chart, the weekly report, the
candidate replies' agents), the same way whichever way the agent's work arrived.

The platform's display name when it gave one; else 客服 and the platform's agent id (Chatwoot's
sender id, the generic webhook's `agent_id`) or, for a panel action with no agent named, the
token's id, cut to `SHORT_ID` characters; else 未署名客服. Never "(unknown)" or a bare hex id.

Who an agent *is* (counting different agents: a candidate reply's "sent by N different agents")
is `agent_key`: the platform's agent id, never the display name, which many agents of a shop may
share (a persona such as 小暖); the name only where the platform sends no id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

UNNAMED_AGENT = "未署名客服"
SHORT_ID = 8


def agent_label(name: str = "", agent_id: str = "") -> str:
    """The agent's name, else 客服 + the first `SHORT_ID` characters of their id, else 未署名客服."""
    if name.strip():
        return name.strip()
    if agent_id.strip():
        return f"客服 {agent_id.strip()[:SHORT_ID]}"
    return UNNAMED_AGENT


def agent_key(name: str = "", agent_id: str = "") -> str:
    """Who the agent is, to tell different agents apart: their platform id (`id:` + it) when the
    platform sent one, whatever their display name (agents sharing a persona name are different
    agents; one agent whose name changed is one); else, where the platform sends no id, their name
    (`name:` + it); else "" (an agent unnamed and without id)."""
    if agent_id.strip():
        return f"id:{agent_id.strip()}"
    if name.strip():
        return f"name:{name.strip()}"
    return ""


def agent_labels(agents: Mapping[str, str]) -> tuple[str, ...]:
    """One label per different agent of `agents` (`agent_key` → `agent_label`), sorted: where
    agents with an id share a label, each has the first `SHORT_ID` characters of their id after it
    (小暖（agent-0）, 小暖（agent-1）), so the list says as many agents as it counts."""
    shared = Counter(agents.values())
    labels = []
    for key, label in agents.items():
        kind, _, value = key.partition(":")
        labels.append(f"{label}（{value[:SHORT_ID]}）" if kind == "id" and shared[label] > 1 else label)
    return tuple(sorted(labels))

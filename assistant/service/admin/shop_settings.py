"""What a shop's settings may hold: the keys the service reads are checked as their readers read
them, so an admin's value that a reader would silently ignore (a `threshold` of 1.5, a Chatwoot
account named `tea`) is refused at once, naming `settings.<key>`. Other keys are kept as given.

    threshold                 a number in [0, 1] (suggest/registry.py `shop_threshold`)
    chatwoot_account          a Chatwoot account id: a whole number ≥ 1 (or its digits as text)
    chatwoot_inboxes          a list of inbox ids, as the account; empty = every inbox
    chatwoot_webhook_secret, chatwoot_url_token, chatwoot_api_url, chatwoot_api_token   text
    chatwoot_notes, chatwoot_notes_pending                                              true/false
    auto_approve_agents       a whole number ≥ 1 (service/auto_approval.py `rule_problem`)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.service.auto_approval import SETTING as AUTO_APPROVE
from assistant.service.auto_approval import rule_problem

_TEXTS = ("chatwoot_webhook_secret", "chatwoot_url_token", "chatwoot_api_url", "chatwoot_api_token")
_FLAGS = ("chatwoot_notes", "chatwoot_notes_pending")


def _chatwoot_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 1
    return isinstance(value, str) and value.strip().isdigit() and int(value) >= 1


def setting_problem(key: str, value: Any) -> str | None:
    """Why `value` cannot be the shop setting `key` (None when it can; None removes a key)."""
    if value is None:
        return None
    if key == "threshold":
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number and 0.0 <= value <= 1.0 else "a number from 0 to 1"
    if key == "chatwoot_account":
        return None if _chatwoot_id(value) else "a Chatwoot account id (a whole number, 1 or more)"
    if key == "chatwoot_inboxes":
        ok = isinstance(value, list) and all(_chatwoot_id(v) for v in value)
        return None if ok else "a list of Chatwoot inbox ids (whole numbers, 1 or more); [] for every inbox"
    if key in _TEXTS:
        return None if isinstance(value, str) else "text"
    if key in _FLAGS:
        return None if isinstance(value, bool) else "true or false"
    if key == AUTO_APPROVE:
        return rule_problem(value)
    return None


def settings_problems(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(`settings.<key>`, why) for every value a reader of the setting could not read."""
    found = ((key, setting_problem(key, value)) for key, value in settings.items())
    return [(f"settings.{key}", problem) for key, problem in found if problem is not None]

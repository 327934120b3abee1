"""What a shop's settings may hold: the keys the service reads are checked as their readers read
them, so an admin's value that a reader would silently ignore (a `threshold` of 1.5, a Chatwoot
account named `tea`) is refused at once, naming `settings.<key>`. A key no reader reads (a
misspelt `treshold` would be stored and the threshold left as it was) is refused too, with the
key meant; so are the keys the service keeps for itself (`KEPT`: learned cue thresholds, the
cue marks already counted, the admins' decisions on candidates), which the shop's answer
leaves out (`shown`).

    threshold                 a number in [0, 1] (suggest/registry.py `shop_threshold`)
    chatwoot_account          a Chatwoot account id: a whole number ≥ 1 (or its digits as text)
    chatwoot_inboxes          a list of inbox ids, as the account; empty = every inbox
    chatwoot_webhook_secret, chatwoot_url_token, chatwoot_api_url, chatwoot_api_token   text
    chatwoot_notes, chatwoot_notes_pending                                              true/false
    auto_approve_agents       a whole number ≥ 1 (service/auto_approval.py `rule_problem`)
    webhook_secret, webhook_secret_previous   text, not blank: the shop's own secrets of the
                              generic webhook (service/platforms/shop_secrets.py); the previous
                              one only beside a current one (`pairing_problems`, on the whole
                              settings)
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from assistant.learning.cue_thresholds import MARKS_SETTING
from assistant.learning.cue_thresholds import SETTING as CUE_THRESHOLDS
from assistant.learning.shop_candidates import DECISIONS
from assistant.service.auto_approval import SETTING as AUTO_APPROVE
from assistant.service.auto_approval import rule_problem
from assistant.service.platforms.shop_secrets import SETTINGS as WEBHOOK_SECRETS
from assistant.service.platforms.shop_secrets import pairing_problem, secret_problem

_TEXTS = ("chatwoot_webhook_secret", "chatwoot_url_token", "chatwoot_api_url", "chatwoot_api_token")
_FLAGS = ("chatwoot_notes", "chatwoot_notes_pending")
KNOWN = ("threshold", "chatwoot_account", "chatwoot_inboxes", *_TEXTS, *_FLAGS, AUTO_APPROVE, *WEBHOOK_SECRETS)
KEPT = (CUE_THRESHOLDS, MARKS_SETTING, DECISIONS)  # written by the service, not by an admin


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
    if key in WEBHOOK_SECRETS:
        return secret_problem(value)
    return None


def key_problem(key: str, value: Any) -> str | None:
    """Why `key` is no setting an admin can set (None when it is, or when `value` is None and it
    is no key of the service's own: a stray key stored before may be removed)."""
    if key in KNOWN or (value is None and key not in KEPT):
        return None
    if key in KEPT:
        return "kept by the service itself (learned from the shop's records and decisions), not set by hand"
    meant = difflib.get_close_matches(key, KNOWN, n=1, cutoff=0.6)
    hint = f"did you mean {meant[0]!r}? " if meant else ""
    return f"not a shop setting; {hint}the settings are {', '.join(KNOWN)}"


def shown(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings an admin set (the service's own, `KEPT`, left out)."""
    return {key: value for key, value in settings.items() if key not in KEPT}


def settings_problems(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(`settings.<key>`, why) for every key no admin sets and every value a reader of the setting
    could not read."""
    found = ((key, key_problem(key, value) or setting_problem(key, value)) for key, value in settings.items())
    return [(f"settings.{key}", problem) for key, problem in found if problem is not None]


def pairing_problems(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(`settings.<key>`, why) for keys that a shop's whole settings (the stored ones merged with
    a change) may not hold together."""
    found = pairing_problem(settings)
    return [found] if found is not None else []

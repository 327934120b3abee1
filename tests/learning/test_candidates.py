"""Candidate replies come from unanswerable messages and heavy edits, keyed by the customer's words."""

from __future__ import annotations

from assistant.learning.acceptance import Shown, match_reply
from assistant.learning.candidates import ReplyEvent, collect_candidates

SHOWN = [Shown("ship", "亲，今天下单的话48小时内发货哦，节假日顺延")]


def test_candidates_from_unanswerable_messages_and_heavy_edits() -> None:
    gift = "亲，我们可以帮您写贺卡，下单时备注贺卡内容即可"
    edit = "亲，今天下单的话48小时内发货，您急用的话可以选京东次日达"
    events = [
        ReplyEvent("能帮忙写个贺卡吗", gift, "agent-1", answerable=False),
        ReplyEvent("可以写贺卡不", gift + "~", "agent-2", answerable=False),
        ReplyEvent("好的", "好的", "agent-1", answerable=False),  # too short: a quick reply, not knowledge
        ReplyEvent("几天发货", SHOWN[0].text, "agent-1", answerable=True, acceptance=match_reply(SHOWN[0].text, SHOWN)),
        ReplyEvent("急用，几天发货", edit, "agent-3", answerable=True, acceptance=match_reply(edit, SHOWN)),
    ]
    found = collect_candidates(events)
    assert [(c.reason, c.count) for c in found] == [("unanswerable", 2), ("heavy_edit", 1)]
    assert found[0].wordings == ["能帮忙写个贺卡吗", "可以写贺卡不"]
    assert found[0].meets_rule(agents=2) and not found[0].meets_rule(agents=3) and not found[0].meets_rule(0)
    assert found[1].edited_entries == {"ship"} and found[1].wordings == ["急用，几天发货"]


def test_a_heavy_edit_of_a_quick_reply_names_no_entry_to_replace() -> None:
    # A user test: the admin page offered 替换原条目 quick-e8ef86d02d, which only answered 404.
    quick = [Shown("quick-e8ef86d02d", "亲，还请您稍等，正在为您查询~")]
    edit = "亲，还请您稍等，正在为您查询仓库的发货进度，今天之内给您答复哦"
    found = collect_candidates(
        [ReplyEvent("怎么还不发货", edit, "agent-1", answerable=True, acceptance=match_reply(edit, quick))]
    )
    assert [(c.reason, c.edited_entries) for c in found] == [("heavy_edit", set())]


def test_a_candidates_wordings_carry_no_pasted_markup() -> None:
    gift = "亲，我们可以帮您写贺卡，下单时备注贺卡内容即可"
    events = [
        ReplyEvent("<p>能帮忙写个贺卡吗</p>", gift, "agent-1", answerable=False),
        ReplyEvent("能帮忙写个贺卡吗", gift, "agent-2", answerable=False),
        ReplyEvent("&lt;b&gt;可以写贺卡不", gift, "agent-2", answerable=False),
    ]
    (found,) = collect_candidates(events)
    assert found.wordings == ["能帮忙写个贺卡吗", "可以写贺卡不"]


def test_different_agents_are_different_ids_whatever_their_names() -> None:
    """A user test: three agents (agent-0/1/2) all named 小暖, a shop's shared persona, counted as
    1 agent; three agents under five names counted as 5. The rule counts agent ids; the name only
    where the platform sends no id."""
    gift = "亲，我们可以帮您写贺卡，下单时备注贺卡内容即可"
    persona = [ReplyEvent("能写贺卡吗", gift, "小暖", answerable=False, agent_id=f"agent-{n}") for n in range(3)]
    (shared,) = collect_candidates(persona)
    assert (shared.count, len(shared.agents)) == (3, 3)
    assert shared.meets_rule(agents=3) and not shared.meets_rule(agents=4)
    names = [("小暖", "agent-0"), ("小美", "agent-0"), ("小暖", "agent-1"), ("阿杰", "agent-2"), ("杰", "agent-2")]
    renamed = [ReplyEvent("能写贺卡吗", gift, name, answerable=False, agent_id=agent) for name, agent in names]
    (three,) = collect_candidates(renamed)
    assert (three.count, len(three.agents)) == (5, 3)
    assert three.meets_rule(agents=3) and not three.meets_rule(agents=4)
    no_ids = [ReplyEvent("能写贺卡吗", gift, name, answerable=False) for name in ("小暖", "小暖", "小美")]
    (named,) = collect_candidates(no_ids)  # no id from the platform: told apart by name
    assert (named.count, sorted(named.agents.values())) == (3, ["小暖", "小美"])

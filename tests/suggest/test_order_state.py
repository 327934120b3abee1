"""What a conversation says of the order's state, and what a reply takes for granted."""

from __future__ import annotations

import pytest

from assistant.suggest.order_state import OrderState, conversation_state, presupposed_state, stated_state, states_only

NOT, SHIPPED = OrderState.NOT_SHIPPED, OrderState.SHIPPED


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("亲，已经发货了哦", SHIPPED),
        ("订单显示已出库", SHIPPED),
        ("都发了三天了", SHIPPED),
        ("亲 这边显示已经揽收了", SHIPPED),
        ("亲，您的订单还没发货", NOT),
        ("咋还没发货", NOT),
        ("还没发呢", NOT),
        # questions state nothing
        ("发货了吗", None),
        ("发出了没", None),
        ("我的快递发了吗", None),
        ("还没发货吗", None),
        # other sending, and a condition
        ("没发现有问题", None),
        ("预售发货前能改地址吗", None),
        # the last statement wins
        ("之前说还没发货，现在已经发出了", SHIPPED),
    ],
)
def test_a_turn_states_the_order_state_or_nothing(text: str, state: OrderState | None) -> None:
    assert stated_state(text) is state


def test_the_message_first_then_the_newest_earlier_turn() -> None:
    assert conversation_state("地址写错了，能改吗", ["还没发货吧", "亲，已经发货了哦"]) is SHIPPED
    assert conversation_state("地址写错了，能改吗", ["亲，已经发货了哦", "亲，您这单还没发货"]) is NOT
    assert conversation_state("怎么还没发货", ["亲，已经发货了哦"]) is NOT
    assert conversation_state("地址写错了，能改吗", ["在吗", "亲，在的"]) is None


def test_a_reply_takes_one_state_for_granted_or_none() -> None:
    assert presupposed_state(["地址填错了，能改吗？"], "亲，还没发货可以改的～") is NOT
    assert presupposed_state(["已经发货了，还能改地址吗？"], "亲，已发货的订单我们可以帮您联系快递改派") is SHIPPED
    assert presupposed_state(["预售发货前改地址"], "亲，可以的～") is NOT
    # covers both states: takes nothing for granted
    assert presupposed_state(["电话写错了"], "还没发货的我马上给仓库备注修改；已经发出的我联系快递网点") is None
    assert presupposed_state(["有赠品吗"], "亲，有的～") is None


@pytest.mark.parametrize(
    ("clause", "only"),
    [
        ("还没发货", True),
        ("已经发出了呢", True),
        ("还没发货呢亲", True),
        ("还没发货吗", False),
        ("都三天了", False),
        ("没发货，快点", False),
        ("发货了吗", False),
    ],
)
def test_a_clause_that_only_states_the_order_state(clause: str, only: bool) -> None:
    assert states_only(clause) is only

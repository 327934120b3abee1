"""Candidate replies in the admin API: what agents sent where nothing answered becomes a pending
candidate; approve (as sent or edited), reject, the N-agents rule; tokens and input rules."""

from __future__ import annotations

from typing import Any

from assistant.service import keys

from ..helpers import suggest_body
from .conftest import Admin, AdminFactory
from .test_analytics import GAP_QUESTIONS, GAP_REPLY, agent_says, job_done, say

BRAND_Q = "能用比特币付款吗"
BRAND_REPLY = "亲，比特币是不支持的哦，可以用支付宝或者银行卡"


async def chats(admin: Admin) -> None:
    """Three unanswerable questions: two agents send the same reply, one another; one brand question."""
    for n, question in enumerate(GAP_QUESTIONS):
        answered = await say(admin, f"g{n}", "m1", question)
        assert answered["answerable"] is False
        await agent_says(admin, f"g{n}", "m2", GAP_REPLY, "小王" if n else "小李")
    assert (await say(admin, "b1", "m1", BRAND_Q))["answerable"] is False
    await agent_says(admin, "b1", "m2", BRAND_REPLY, "小赵")


async def listed(admin: Admin, query: str = "") -> dict[str, Any]:
    response = await admin.client.get(f"/v1/admin/shops/demo/candidates{query}", headers=admin.auth())
    assert response.status == 200, await response.text()
    return {c["reply"]: c for c in (await response.json())["candidates"]}


async def test_candidates_are_approved_edited_or_rejected(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    await chats(admin)
    found = await listed(admin)
    assert set(found) >= {GAP_REPLY, BRAND_REPLY}
    gap = found[GAP_REPLY]
    assert (gap["reason"], gap["count"], gap["agents"], gap["status"]) == (
        "unanswerable",
        3,
        ["小李", "小王"],
        "pending",
    )
    assert set(gap["wordings"]) == set(GAP_QUESTIONS) and gap["conversations"] == ["g0", "g1", "g2"]
    await admin.client.app[keys.AUTO_APPROVER].idle()  # the rule is off by default: 2 agents approve nothing
    assert (await listed(admin))[GAP_REPLY]["status"] == "pending"
    assert gap["source"].startswith("agents' reply where nothing answered: sent 3× by 2 agent(s)")

    # edit before approving
    edited = "亲，暂时不支持数字人民币，支付宝、微信、银行卡都可以哦～"
    path = f"/v1/admin/shops/demo/candidates/{gap['id']}/approve"
    bogus = await admin.client.post(path, json={"answer": edited, "stage": "bogus"}, headers=admin.auth())
    assert bogus.status == 422  # named `stage`, not `body` with the loader's `faq/approved_replies.yaml:2: ...`
    assert (await bogus.json())["errors"] == [
        {"field": "stage", "message": "expected one of pre_sale, in_sale, after_sale, got 'bogus'"}
    ]
    assert (await listed(admin))[GAP_REPLY]["status"] == "pending"
    response = await admin.client.post(path, json={"answer": edited, "stage": "pre_sale"}, headers=admin.auth())
    assert response.status == 201, await response.text()
    approved = await response.json()
    (done,) = approved["approved"]
    assert done["file"] == "faq/approved_replies.yaml" and done["entry"]["answer"] == edited
    rows = {r.entry_id: r for r in await admin.client.app[keys.STORE].knowledge_rows("demo")}
    row = rows[f"faq-cand-{gap['id']}"]
    assert row.file == "faq/approved_replies.yaml" and row.data["stage"] == "pre_sale"
    assert {row.data["question"], *row.data["variants"]} == set(GAP_QUESTIONS)
    again = await admin.client.post(path, headers=admin.auth())
    assert again.status == 409 and (await again.json())["errors"][0]["field"] == "candidate"
    job = await job_done(admin, approved["job"]["id"])  # the approval started the rebuild
    stats = await admin.client.get("/v1/admin/shops/demo/stats?days=7", headers=admin.auth())
    replies = (await stats.json())["stats"]["replies"]  # approved today: not a reply to retire yet
    assert replies["too_new"] == 1 and row.entry_id not in [r["entry_id"] for r in replies["never_used"]]
    served = await say(admin, "g9", "m1", GAP_QUESTIONS[0])
    assert served["index_version"] == job["version"] and served["answerable"] is True
    assert (served["suggestions"][0]["entry_id"], served["suggestions"][0]["text"]) == (row.entry_id, edited)

    brand = found[BRAND_REPLY]
    response = await admin.client.post(f"/v1/admin/shops/demo/candidates/{brand['id']}/reject", headers=admin.auth())
    assert response.status == 200 and (await response.json())["candidate"]["status"] == "pending"
    assert GAP_REPLY not in await listed(admin) and BRAND_REPLY not in await listed(admin)
    decided = await listed(admin, "?status=all")
    assert (decided[GAP_REPLY]["status"], decided[BRAND_REPLY]["status"]) == ("approved", "rejected")


async def test_the_rule_approves_replies_sent_by_n_agents(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    await chats(admin)
    rule = "/v1/admin/shops/demo/candidates/auto-approve"
    none = await admin.client.post(rule, json={"agents": 3}, headers=admin.auth())
    assert none.status == 200 and (await none.json())["approved"] == []
    response = await admin.client.post(rule, json={"agents": 2}, headers=admin.auth())
    assert response.status == 200, await response.text()
    answer = await response.json()
    (done,) = answer["approved"]
    assert done["candidate"]["reply"] == GAP_REPLY and done["entry"]["answer"] == GAP_REPLY
    assert (await listed(admin))[BRAND_REPLY]["status"] == "pending"
    assert (await none.json())["job"] is None  # nothing approved, nothing to rebuild
    job = await job_done(admin, answer["job"]["id"])
    rebuilder = admin.client.app[keys.REBUILDER]
    first = await rebuilder.request("demo")
    assert first.id != job["id"]  # a change after a job started needs a new job
    assert (await rebuilder.request("demo")).id == first.id  # still queued: reused, no pile-up
    await job_done(admin, first.id)


async def test_the_shops_rule_approves_on_its_own_after_an_agents_reply(make_admin: AdminFactory) -> None:
    admin = await make_admin(auto_approve_interval_s=0.0)
    rule = "/v1/admin/shops/demo/candidates/rule"
    off = await admin.client.get(rule, headers=admin.auth())
    assert (off.status, (await off.json())["agents"]) == (200, None)  # off by default
    response = await admin.client.put(rule, json={"agents": 2}, headers=admin.auth())
    assert response.status == 200 and (await response.json())["agents"] == 2
    assert (await admin.client.app[keys.STORE].shop("demo")).settings["auto_approve_agents"] == 2  # type: ignore[union-attr]

    await chats(admin)  # the second agent's GAP_REPLY meets the rule; BRAND_REPLY has one agent
    approver = admin.client.app[keys.AUTO_APPROVER]
    await approver.idle()
    decided = await listed(admin, "?status=all")
    assert (decided[GAP_REPLY]["status"], decided[BRAND_REPLY]["status"]) == ("approved", "pending")
    store = admin.client.app[keys.STORE]
    (job, *_) = await store.jobs("demo")
    done = await job_done(admin, job.id)  # the approval started the rebuild
    served = await say(admin, "g9", "m1", GAP_QUESTIONS[1])
    assert served["index_version"] == done["version"] and served["answerable"] is True
    assert served["suggestions"][0]["entry_id"] == f"faq-cand-{decided[GAP_REPLY]['id']}"

    response = await admin.client.put(rule, json={"agents": None}, headers=admin.auth())
    assert response.status == 200 and (await response.json())["agents"] is None
    assert "auto_approve_agents" not in (await store.shop("demo")).settings  # type: ignore[union-attr]


async def test_each_route_needs_an_admin_token_and_bad_input_names_the_field(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    routes = [
        ("GET", "/v1/admin/shops/demo/candidates"),
        ("POST", "/v1/admin/shops/demo/candidates/abc/approve"),
        ("POST", "/v1/admin/shops/demo/candidates/abc/reject"),
        ("POST", "/v1/admin/shops/demo/candidates/auto-approve"),
        ("GET", "/v1/admin/shops/demo/candidates/rule"),
        ("PUT", "/v1/admin/shops/demo/candidates/rule"),
    ]
    for method, path in routes:
        for headers, status in (({}, 401), (admin.auth(admin.agent), 403), (admin.auth(admin.other_admin), 403)):
            response = await admin.client.request(method, path, headers=headers)
            assert response.status == status, (method, path, headers)
            assert (await response.json())["errors"][0]["field"] in ("Authorization", "shop")
    cases = [
        ("GET", "/v1/admin/shops/demo/candidates?days=0", None, 422, "days"),
        ("GET", "/v1/admin/shops/demo/candidates?status=maybe", None, 422, "status"),
        ("GET", "/v1/admin/shops/demo/candidates?limit=x", None, 422, "limit"),
        ("POST", "/v1/admin/shops/demo/candidates/nope/approve", {"answer": ""}, 422, "answer"),
        ("POST", "/v1/admin/shops/demo/candidates/nope/approve", {"answer": " \n\u3000"}, 422, "answer"),
        ("POST", "/v1/admin/shops/demo/candidates/nope/approve", {"question": "  "}, 422, "question"),
        ("POST", "/v1/admin/shops/demo/candidates/nope/approve", {"colour": "red"}, 422, "colour"),
        ("POST", "/v1/admin/shops/demo/candidates/nope/approve", {}, 404, "candidate"),
        ("POST", "/v1/admin/shops/demo/candidates/nope/reject", {"days": 0}, 422, "days"),
        ("POST", "/v1/admin/shops/demo/candidates/auto-approve", {"agents": 0}, 422, "agents"),
        ("POST", "/v1/admin/shops/demo/candidates/auto-approve", {}, 422, "agents"),
        ("PUT", "/v1/admin/shops/demo/candidates/rule", {"agents": 0}, 422, "agents"),
        ("PUT", "/v1/admin/shops/demo/candidates/rule", {"agents": "2"}, 422, "agents"),
        ("PUT", "/v1/admin/shops/demo/candidates/rule", {}, 422, "agents"),
    ]
    for method, path, body, status, field in cases:
        response = await admin.client.request(method, path, json=body, headers=admin.auth())
        answer = await response.json()
        assert (response.status, answer["errors"][0]["field"]) == (status, field), (path, body, answer)


async def test_a_decision_relearns_the_shop_only_when_learning_is_on(make_admin: AdminFactory) -> None:
    """HUASHU_LEARNING_REFRESH_S=0 turns learning off: an admin's decision does not bring it back
    (it used to relearn the shop, which then served quick replies and priors)."""
    for every_s, relearned in ((0.0, 0), (3600.0, 1)):
        admin = await make_admin(learning_refresh_s=every_s)
        await chats(admin)
        brand = (await listed(admin))[BRAND_REPLY]
        learner = admin.client.app[keys.LEARNER]
        before = learner.relearned  # the loop's own first learning, when on
        path = f"/v1/admin/shops/demo/candidates/{brand['id']}/reject"
        assert (await admin.client.post(path, headers=admin.auth())).status == 200
        assert learner.relearned - before == relearned


async def test_closing_a_gap_with_the_candidates_reply_leaves_no_candidate_to_approve(make_admin: AdminFactory) -> None:
    """The gap of the three 数字人民币 questions, closed with its pre-filled answer (the agents'
    most common reply, GAP_REPLY): the candidate of that same reply is no longer listed (its reply
    is in the knowledge, as faq-gap-...), so approving it again would add nothing but a duplicate
    (404). The other candidate stays."""
    admin = await make_admin()
    await chats(admin)
    pending = await listed(admin)
    assert set(pending) >= {GAP_REPLY, BRAND_REPLY}
    gaps = await (await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())).json()
    (gap,) = [g for g in gaps["gaps"] if set(g["examples"]) >= set(GAP_QUESTIONS)]
    assert gap["suggested_reply"] == GAP_REPLY
    closed = await admin.client.post(f"/v1/admin/shops/demo/gaps/{gap['id']}/close", headers=admin.auth())
    assert closed.status == 201, await closed.text()
    after = await listed(admin)
    assert GAP_REPLY not in after and BRAND_REPLY in after
    assert GAP_REPLY not in await listed(admin, "?status=all")
    path = f"/v1/admin/shops/demo/candidates/{pending[GAP_REPLY]['id']}/approve"
    again = await admin.client.post(path, headers=admin.auth())
    assert again.status == 404 and (await again.json())["errors"][0]["field"] == "candidate"
    await job_done(admin, (await closed.json())["job"]["id"])


async def test_closing_a_gap_with_an_answer_of_ones_own_answers_the_candidate_too(make_admin: AdminFactory) -> None:
    """The same gap closed with the admin's own answer: the new entry holds the candidate's
    wordings, so the agents' reply is no longer pending (approving it made a second entry for the
    same questions, both sure: an admin's test). The other candidate stays."""
    admin = await make_admin()
    await chats(admin)
    pending = await listed(admin)
    gaps = await (await admin.client.get("/v1/admin/shops/demo/gaps", headers=admin.auth())).json()
    (gap,) = [g for g in gaps["gaps"] if set(g["examples"]) >= set(GAP_QUESTIONS)]
    own = {"answer": "亲，数字人民币暂时不支持，支付宝、微信和银行卡都可以的～"}
    closed = await admin.client.post(f"/v1/admin/shops/demo/gaps/{gap['id']}/close", json=own, headers=admin.auth())
    assert closed.status == 201, await closed.text()
    after = await listed(admin)
    assert GAP_REPLY not in after and BRAND_REPLY in after
    path = f"/v1/admin/shops/demo/candidates/{pending[GAP_REPLY]['id']}/approve"
    again = await admin.client.post(path, headers=admin.auth())
    assert again.status == 404 and (await again.json())["errors"][0]["field"] == "candidate"
    rows = await admin.client.app[keys.STORE].knowledge_rows("demo")
    assert [r.data.get("answer") for r in rows].count(own["answer"]) == 1
    await job_done(admin, (await closed.json())["job"]["id"])


INVOICE_Q = "能开增值税专用发票吗？"
INVOICE_EDIT = "亲，可以开专票的，请把公司名称和税号发我，确认收货后3个工作日内开出，电子专票发到您邮箱哦"


async def test_a_heavy_edit_replaces_the_answer_of_the_entry_it_rewrote(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    shown = await say(admin, "i1", "m1", INVOICE_Q)
    assert shown["suggestions"][0]["entry_id"] == "faq-invoice-special"
    await agent_says(admin, "i1", "m2", INVOICE_EDIT, "小王")
    cand = (await listed(admin))[INVOICE_EDIT]
    assert (cand["reason"], cand["edited_entries"]) == ("heavy_edit", ["faq-invoice-special"])
    path = f"/v1/admin/shops/demo/candidates/{cand['id']}/approve"
    store = admin.client.app[keys.STORE]
    before = {r.entry_id: r for r in await store.knowledge_rows("demo")}["faq-invoice-special"]

    for replaces, status in (("faq-return-7day", 422), ("", 422)):  # not the entry it rewrote; blank
        response = await admin.client.post(path, json={"replaces": replaces}, headers=admin.auth())
        assert response.status == status and (await response.json())["errors"][0]["field"] == "replaces"

    edited = INVOICE_EDIT + "～"
    body = {"replaces": "faq-invoice-special", "answer": edited}
    response = await admin.client.post(path, json=body, headers=admin.auth())
    assert response.status == 201, await response.text()
    approved = await response.json()
    (done,) = approved["approved"]
    assert (done["file"], done["entry"]["id"], done["entry"]["answer"]) == (before.file, before.entry_id, edited)
    rows = {r.entry_id: r for r in await store.knowledge_rows("demo")}
    assert f"faq-cand-{cand['id']}" not in rows
    after = rows["faq-invoice-special"]
    assert (after.file, after.position) == (before.file, before.position)
    assert after.data == {**before.data, "answer": edited}
    assert INVOICE_EDIT not in await listed(admin, "?status=all")  # its reply is in the knowledge now
    shop = await store.shop("demo")
    assert shop is not None and shop.settings["candidate_decisions"][cand["id"]] == "approved"
    await job_done(admin, approved["job"]["id"])
    served = await say(admin, "i2", "m1", INVOICE_Q)
    texts = [(s["entry_id"], s["text"]) for s in served["suggestions"]]
    assert texts[0] == ("faq-invoice-special", edited)
    assert all(not e.startswith("faq-cand-") for e, _ in texts)


async def test_replacing_an_entry_that_is_gone_is_a_404_naming_replaces(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    await say(admin, "i1", "m1", INVOICE_Q)
    await agent_says(admin, "i1", "m2", INVOICE_EDIT, "小王")
    cand = (await listed(admin))[INVOICE_EDIT]
    store = admin.client.app[keys.STORE]
    rows = [r for r in await store.knowledge_rows("demo") if r.entry_id != "faq-invoice-special"]
    await store.replace_knowledge("demo", rows)
    path = f"/v1/admin/shops/demo/candidates/{cand['id']}/approve"
    response = await admin.client.post(path, json={"replaces": "faq-invoice-special"}, headers=admin.auth())
    assert response.status == 404, await response.text()
    assert (await response.json())["errors"][0]["field"] == "replaces"
    assert (await listed(admin))[INVOICE_EDIT]["status"] == "pending"


async def test_a_rejected_reply_is_no_gaps_answer(make_admin: AdminFactory) -> None:
    """A user test: a reply the admin had rejected was pre-filled as a gap's answer, and a close
    without a body published it. Once rejected it is neither listed with the gap nor pre-filled,
    and a close without an answer is a 422 naming `answer`."""
    admin = await make_admin()
    await chats(admin)  # GAP_REPLY sent three times: the gap's pre-filled answer
    gaps = await admin.client.get("/v1/admin/shops/demo/gaps?days=7", headers=admin.auth())
    (gap,) = [g for g in (await gaps.json())["gaps"] if g["examples"][0] in GAP_QUESTIONS]
    assert gap["suggested_reply"] == GAP_REPLY
    candidate = (await listed(admin))[GAP_REPLY]
    path = f"/v1/admin/shops/demo/candidates/{candidate['id']}/reject"
    assert (await admin.client.post(path, headers=admin.auth())).status == 200
    gaps = await admin.client.get("/v1/admin/shops/demo/gaps?days=7", headers=admin.auth())
    (gap,) = [g for g in (await gaps.json())["gaps"] if g["examples"][0] in GAP_QUESTIONS]
    assert gap["suggested_reply"] is None and GAP_REPLY not in [r["text"] for r in gap["replies"]]
    close = await admin.client.post(f"/v1/admin/shops/demo/gaps/{gap['id']}/close", headers=admin.auth())
    assert close.status == 422 and (await close.json())["errors"][0]["field"] == "answer"
    rows = await admin.client.app[keys.STORE].knowledge_rows("demo")
    assert not [r for r in rows if r.entry_id.startswith("faq-gap-")]


async def test_agents_sharing_a_persona_name_are_counted_by_their_agent_ids(make_admin: AdminFactory) -> None:
    """A user test: three agents' replies through /v1/suggest (agent-0/1/2, all named 小暖, a
    persona shared by a shop's agents) made a candidate "3× by 1 agent(s)", which the 2-agent rule
    never approved; agents are told apart by `agent_id`."""
    admin = await make_admin()
    for n, question in enumerate(GAP_QUESTIONS):
        assert (await say(admin, f"p{n}", "m1", question))["answerable"] is False
        body = suggest_body(GAP_REPLY, conversation_id=f"p{n}", message_id="m2")
        body["message"].update({"sender": "agent", "agent_id": f"agent-{n}", "agent_name": "小暖"})
        response = await admin.client.post("/v1/suggest", json=body, headers=admin.auth(admin.agent))
        assert response.status == 200, await response.text()
    gap = (await listed(admin))[GAP_REPLY]
    assert (gap["count"], gap["agents"]) == (3, ["小暖（agent-0）", "小暖（agent-1）", "小暖（agent-2）"])
    assert gap["source"].startswith("agents' reply where nothing answered: sent 3× by 3 agent(s)")
    rule = "/v1/admin/shops/demo/candidates/auto-approve"
    response = await admin.client.post(rule, json={"agents": 3}, headers=admin.auth())
    assert response.status == 200, await response.text()
    assert [a["candidate"]["reply"] for a in (await response.json())["approved"]] == [GAP_REPLY]


async def test_an_approval_without_a_stage_takes_the_candidates_own(make_admin: AdminFactory) -> None:
    """A user test: an approved reply to a pre-sale question was stored `in_sale` (the fixed
    default). Without a stage, the entry takes the candidate's own: the stage of the entry the
    service suggested first for the question (a pillow question: faq-pillow-choose, pre_sale)."""
    admin = await make_admin()
    asked = await say(admin, "w1", "m1", "你们的枕头芯有羊毛款吗")
    assert asked["answerable"] is False and asked["suggestions"][0]["entry_id"] == "faq-pillow-choose"
    reply = "亲，枕芯暂时没有羊毛款哦，有纤维和乳胶的可以选～"
    await agent_says(admin, "w1", "m2", reply, "小王")
    candidate = (await listed(admin))[reply]
    assert candidate["stage"] == "pre_sale"
    path = f"/v1/admin/shops/demo/candidates/{candidate['id']}/approve"
    response = await admin.client.post(path, headers=admin.auth())
    assert response.status == 201, await response.text()
    (done,) = (await response.json())["approved"]
    assert done["entry"]["stage"] == "pre_sale"
    await job_done(admin, (await response.json())["job"]["id"])

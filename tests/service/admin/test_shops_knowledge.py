"""The shop and knowledge routes: creating a shop, uploading files (all or nothing, every
`file:line` named), one entry added, replaced and deleted, and what each refuses."""

from __future__ import annotations

from typing import Any

import aiohttp
import yaml

from assistant.knowledge.files import read_rows
from assistant.service import keys
from assistant.service.settings import Secret
from assistant.storage.protocols import SnapshotRecord
from tests.conftest import KNOWLEDGE

from ..helpers import suggest_body
from .conftest import Admin, AdminFactory
from .test_analytics import job_done, say

OPERATOR = "operator-test-token"
FAQ = "faq/custom.yaml"
GOOD_FAQ = """\
- id: faq-custom-gift-wrap
  stage: pre_sale
  category: 包装
  question: 可以礼品包装吗？
  variants:
    - 能包装成礼物吗
  answer: 亲，可以的～下单备注"礼品包装"，免费帮您包好哦。
  tags: [other]
"""
# Two problems in two files: an entry without `answer` (at its line 1), a JSON line that does not parse (2).
BAD_FAQ = GOOD_FAQ.replace('  answer: 亲，可以的～下单备注"礼品包装"，免费帮您包好哦。\n', "")
BAD_REPLIES = (
    '{"id": "pr-9001", "customer": "在吗", "reply": "在的亲", "tags": ["other"]}\n'
    '{"id": "pr-9002", "customer": "在吗"\n'
)
ENTRY = {
    "id": "faq-custom-invoice-title",
    "stage": "after_sale",
    "category": "发票",
    "question": "发票抬头能改吗？",
    "variants": ["抬头写错了"],
    "answer": "亲，可以的～开票前在订单里修改抬头即可。",
    "tags": ["invoice"],
}


def files_of(folder: Any = KNOWLEDGE) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in read_rows(folder):
        counts[row.file] = counts.get(row.file, 0) + 1
    return counts


async def revision(admin: Admin) -> str:
    store = admin.client.app[keys.STORE]
    value: str = await store.knowledge_revision("demo")
    return value


async def test_operator_creates_a_shop_with_its_knowledge_and_gets_its_admin_token(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    files = {"shop.yaml": "name: 礼品小铺\n", FAQ: GOOD_FAQ}
    body = {"shop": "gifts", "files": files, "settings": {"threshold": 0.5, "chatwoot_api_token": "hush"}}
    response = await admin.client.post("/v1/admin/shops", json=body, headers=admin.auth(OPERATOR))
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["shop"]["name"] == "礼品小铺"
    assert created["shop"]["knowledge"]["files"] == {"shop.yaml": 1, FAQ: 1}
    assert created["shop"]["settings"] == {"threshold": 0.5, "chatwoot_api_token": "***"}
    token = created["admin_token"]
    shown = await admin.client.get("/v1/admin/shops/gifts", headers=admin.auth(token))
    assert shown.status == 200 and (await shown.json())["shop"]["knowledge"]["rows"] == 2
    # a user test: the new shop answered 503 "no snapshot" until a manual rebuild; its first build starts at once
    job = created["job"]
    assert job is not None and job["shop"] == "gifts"
    await admin.client.app[keys.REBUILDER].finished(job["id"])
    followed = await admin.client.get(f"/v1/admin/jobs/{job['id']}", headers=admin.auth(token))
    assert (await followed.json())["job"]["state"] == "done"
    asked = suggest_body("能包成礼物送人吗", shop="gifts", conversation_id="g1", message_id="m1")
    served = await admin.client.post("/v1/suggest", json=asked, headers=admin.auth(token))
    assert served.status == 200, await served.text()
    assert (await served.json())["suggestions"][0]["entry_id"] == "faq-custom-gift-wrap"
    assert (await admin.client.get("/v1/admin/shops/demo", headers=admin.auth(token))).status == 403
    again = await admin.client.post("/v1/admin/shops", json=body, headers=admin.auth(OPERATOR))
    assert again.status == 409 and (await again.json())["errors"][0]["field"] == "shop"
    for rule in (0, "2", True):  # the N-agents rule: a whole number >= 1, or null
        bad = {"shop": "gifts2", "settings": {"auto_approve_agents": rule}}
        response = await admin.client.post("/v1/admin/shops", json=bad, headers=admin.auth(OPERATOR))
        field = (await response.json())["errors"][0]["field"]
        assert (response.status, field) == (422, "settings.auto_approve_agents")


async def test_a_shop_created_with_rebuild_false_is_stored_only(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    body = {"shop": "gifts", "files": {FAQ: GOOD_FAQ}}
    response = await admin.client.post("/v1/admin/shops?rebuild=false", json=body, headers=admin.auth(OPERATOR))
    assert response.status == 201 and (await response.json())["job"] is None
    assert await admin.client.app[keys.STORE].jobs("gifts") == []
    empty = await admin.client.post("/v1/admin/shops", json={"shop": "empty"}, headers=admin.auth(OPERATOR))
    assert empty.status == 201 and (await empty.json())["job"] is None  # nothing to build


async def test_only_the_operator_creates_shops_and_a_bad_file_creates_nothing(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    body = {"shop": "gifts", "files": {FAQ: BAD_FAQ}}
    assert (await admin.client.post("/v1/admin/shops", json=body)).status == 401
    refused = await admin.client.post("/v1/admin/shops", json=body, headers=admin.auth(admin.admin))
    assert refused.status == 403
    bad = await admin.client.post("/v1/admin/shops", json=body, headers=admin.auth(OPERATOR))
    assert bad.status == 422
    assert [e["message"] for e in (await bad.json())["errors"]] == [f"{FAQ}:1: missing required field `answer`"]
    assert await admin.client.app[keys.STORE].shop("gifts") is None
    named = await admin.client.post("/v1/admin/shops", json={"shop": "Bad Name"}, headers=admin.auth(OPERATOR))
    assert named.status == 422 and (await named.json())["errors"][0]["field"] == "shop"


async def test_unknown_shop_is_a_404_naming_shop(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    response = await admin.client.get("/v1/admin/shops/nowhere", headers=admin.auth(OPERATOR))
    assert response.status == 404 and (await response.json())["errors"][0]["field"] == "shop"


async def test_multipart_upload_replaces_those_files_and_keeps_the_others(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    form = aiohttp.FormData()
    form.add_field(FAQ, GOOD_FAQ.encode(), filename="custom.yaml", content_type="application/yaml")
    response = await admin.client.post("/v1/admin/shops/demo/knowledge", data=form, headers=admin.auth())
    assert response.status == 200, await response.text()
    uploaded = await response.json()
    expected = {**files_of(), FAQ: 1}
    assert uploaded["files"] == [FAQ] and uploaded["rows"] == sum(expected.values())
    assert uploaded["knowledge_revision"] == await revision(admin)
    shown = await (await admin.client.get("/v1/admin/shops/demo", headers=admin.auth())).json()
    assert shown["shop"]["knowledge"]["files"] == dict(sorted(expected.items()))


async def test_a_multipart_body_that_cannot_be_read_is_a_400_naming_body(make_admin: AdminFactory) -> None:
    admin = await make_admin()  # found by tests/service/admin/test_fuzz_admin.py: it was a 500
    before = await revision(admin)
    for content_type, body in (
        ("multipart/form-data", b"x"),  # no boundary
        ("multipart/form-data; boundary=zz", b"--zz\r\nno header end"),
        ("multipart/form-data; boundary=zz", b'--zz\r\nContent-Disposition: form-data; name="faq/a.yaml"\r\n\r\nq'),
    ):
        headers = {**admin.auth(), "Content-Type": content_type}
        response = await admin.client.post("/v1/admin/shops/demo/knowledge", data=body, headers=headers)
        assert response.status in (400, 422), await response.text()
        assert (await response.json())["errors"][0]["field"] == "body"
    assert await revision(admin) == before


async def test_a_bad_upload_lists_every_file_line_and_changes_nothing(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    before = await revision(admin)
    files = {FAQ: BAD_FAQ, "past_replies_extra.jsonl": BAD_REPLIES, "notes.txt": "hello"}
    response = await admin.client.post("/v1/admin/shops/demo/knowledge", json={"files": files}, headers=admin.auth())
    assert response.status == 422
    body = await response.json()
    assert body["ok"] is False and "nothing was changed" in body["error"]
    messages = [e["message"] for e in body["errors"]]
    assert messages[0].startswith("notes.txt: not a knowledge file name")
    assert messages[0].endswith("products.yaml, past_replies.jsonl or past_replies_NAME.jsonl)")
    assert len(messages) == 1  # a bad name is refused before any file is read
    del files["notes.txt"]
    response = await admin.client.post("/v1/admin/shops/demo/knowledge", json={"files": files}, headers=admin.auth())
    messages = [e["message"] for e in (await response.json())["errors"]]
    assert f"{FAQ}:1: missing required field `answer`" in messages
    assert any(m.startswith("past_replies_extra.jsonl:2: not valid JSON") for m in messages), messages
    assert {e["field"] for e in (await response.json())["errors"]} == {FAQ, "past_replies_extra.jsonl"}
    assert await revision(admin) == before


async def test_a_date_that_does_not_exist_is_a_422_at_its_line(make_admin: AdminFactory) -> None:
    # a user test: ends: 2027-02-30 made PyYAML raise inside the route (500 "internal error")
    admin = await make_admin()
    before = await revision(admin)
    promotion = (
        "- id: promo-bad\n  title: 年货节\n  starts: 2027-01-10\n  ends: 2027-02-30\n  rules: 满199减30\n"
        "  questions: [年货节有什么活动]\n  reply: 亲，年货节满199减30哦\n  tags: [promotion]\n"
    )
    files = {"promotions.yaml": promotion}
    response = await admin.client.post("/v1/admin/shops/demo/knowledge", json={"files": files}, headers=admin.auth())
    body = await response.json()
    assert response.status == 422, body
    assert [e["message"] for e in body["errors"]] == [
        "promotions.yaml:4: ends: '2027-02-30' is not a date (YYYY-MM-DD)"
    ]
    assert await revision(admin) == before


async def test_an_uploaded_id_already_used_is_told_at_the_uploaded_file(make_admin: AdminFactory) -> None:
    # A user test: uploading faq/pay.yaml with the id of an entry of the stored faq/pre_sale.yaml was
    # told as `faq/pre_sale.yaml:57: … already used at faq/pay.yaml:1`, the file the admin did not touch.
    admin = await make_admin()
    files = {"faq/pay.yaml": GOOD_FAQ.replace("faq-custom-gift-wrap", "faq-ship-eta")}
    response = await admin.client.post("/v1/admin/shops/demo/knowledge", json={"files": files}, headers=admin.auth())
    assert response.status == 422
    (error,) = (await response.json())["errors"]
    assert error["field"] == "faq/pay.yaml"
    # the stored file by the entry's place in it: a line of the store's copy is a line of no file the admin has
    assert error["message"].startswith("faq/pay.yaml:1: id 'faq-ship-eta' is already used by the shop's entry ")
    assert error["message"].endswith(
        " of faq/pre_sale.yaml (stored, not in this upload: GET /v1/admin/shops/demo/knowledge/entries/faq-ship-eta)"
    )


async def test_replace_all_makes_the_upload_the_whole_knowledge(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    body = {"files": {FAQ: GOOD_FAQ}}
    url = "/v1/admin/shops/demo/knowledge?replace=all"
    before = await revision(admin)
    refused = await admin.client.post(url, json=body, headers=admin.auth())  # it would drop every stored entry
    assert refused.status == 409 and len((await refused.json())["would_remove"]) > 300
    assert await revision(admin) == before
    response = await admin.client.post(url + "&remove_missing=true", json=body, headers=admin.auth())
    assert response.status == 200 and (await response.json())["rows"] == 1
    listed = await (await admin.client.get("/v1/admin/shops/demo/knowledge/entries", headers=admin.auth())).json()
    assert [e["id"] for e in listed["entries"]] == ["faq-custom-gift-wrap"]
    wrong = await admin.client.post("/v1/admin/shops/demo/knowledge?replace=some", json=body, headers=admin.auth())
    assert wrong.status == 422 and (await wrong.json())["errors"][0]["field"] == "replace"


async def test_an_upload_that_would_remove_entries_is_a_409_naming_them_until_confirmed(
    make_admin: AdminFactory,
) -> None:
    # A user test: two entries added through the API, then `huashu admin knowledge upload demo knowledge`
    # (their file replaced by the folder's, which never had them) printed "stored" and they were gone (404).
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge"
    added = [ENTRY, {**ENTRY, "id": "faq-custom-wash-machine", "question": "洗衣机能上门安装吗？"}]
    for entry in added:
        response = await admin.client.post(
            f"{base}/entries", json={"file": "faq/after_sale.yaml", "entry": entry}, headers=admin.auth()
        )
        assert response.status == 201, await response.text()
    ids = [str(e["id"]) for e in added]
    files = {"faq/after_sale.yaml": (KNOWLEDGE / "faq" / "after_sale.yaml").read_text(encoding="utf-8")}
    before = await revision(admin)

    refused = await admin.client.post(base, json={"files": files}, headers=admin.auth())
    body = await refused.json()
    assert refused.status == 409, body
    assert body["ok"] is False and body["would_remove"] == ids
    assert "nothing was changed" in body["error"] and all(i in body["error"] for i in ids)
    assert "remove_missing=true" in body["error"]
    assert [e["field"] for e in body["errors"]] == ["faq/after_sale.yaml"] * 2
    assert [e["message"] for e in body["errors"]] == [
        f"faq/after_sale.yaml: entry {i!r} is not in the uploaded files: it would be removed" for i in ids
    ]
    assert await revision(admin) == before
    for i in ids:
        assert (await admin.client.get(f"{base}/entries/{i}", headers=admin.auth())).status == 200

    wrong = await admin.client.post(f"{base}?remove_missing=yes", json={"files": files}, headers=admin.auth())
    assert wrong.status == 422 and (await wrong.json())["errors"][0]["field"] == "remove_missing"
    assert await revision(admin) == before

    confirmed = await admin.client.post(f"{base}?remove_missing=true", json={"files": files}, headers=admin.auth())
    done = await confirmed.json()
    assert confirmed.status == 200, done
    assert done["removed"] == ids and done["rows"] == sum(files_of().values())
    for i in ids:
        assert (await admin.client.get(f"{base}/entries/{i}", headers=admin.auth())).status == 404

    described = (await (await admin.client.get("/openapi.json")).json())["paths"][base.replace("demo", "{shop}")]
    assert "remove_missing" in {p["name"] for p in described["post"]["parameters"]}
    assert described["post"]["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/UploadRefused"
    )

    # an upload that removes nothing is stored as before: the file with the entries in it
    kept = files["faq/after_sale.yaml"] + yaml.safe_dump(added, allow_unicode=True, sort_keys=False)
    again = await admin.client.post(base, json={"files": {"faq/after_sale.yaml": kept}}, headers=admin.auth())
    assert again.status == 200 and (await again.json())["removed"] == []
    assert (await admin.client.get(f"{base}/entries/{ids[0]}", headers=admin.auth())).status == 200


async def test_an_upload_past_the_limit_is_a_413(make_admin: AdminFactory) -> None:
    admin = await make_admin(max_upload_bytes=1000)
    body = {"files": {FAQ: GOOD_FAQ * 10}}
    response = await admin.client.post("/v1/admin/shops/demo/knowledge", json=body, headers=admin.auth())
    assert response.status == 413 and (await response.json())["errors"][0]["field"] == "body"
    text = await admin.client.post(
        "/v1/admin/shops/demo/knowledge", data=b"x", headers={**admin.auth(), "Content-Type": "text/plain"}
    )
    assert text.status == 415


async def test_one_entry_added_replaced_and_deleted(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge/entries"
    before = await revision(admin)
    added = await admin.client.post(base, json={"file": "faq/after_sale.yaml", "entry": ENTRY}, headers=admin.auth())
    assert added.status == 201, await added.text()
    entry = (await added.json())["entry"]
    last = max(r.position for r in read_rows(KNOWLEDGE) if r.file == "faq/after_sale.yaml")
    assert (entry["file"], entry["position"], entry["entry"]) == ("faq/after_sale.yaml", last + 1, ENTRY)
    assert (await admin.client.post(base, json={"file": FAQ, "entry": ENTRY}, headers=admin.auth())).status == 409

    changed = {**ENTRY, "answer": "亲，开票前可以改抬头，开票后需要红冲重开哦。"}
    del changed["id"]
    put = await admin.client.put(f"{base}/{ENTRY['id']}", json={"entry": changed}, headers=admin.auth())
    assert put.status == 200, await put.text()
    got = await (await admin.client.get(f"{base}/{ENTRY['id']}", headers=admin.auth())).json()
    assert got["entry"]["entry"]["answer"].startswith("亲，开票前可以改抬头") and got["entry"]["position"] == last + 1

    deleted = await admin.client.delete(f"{base}/{ENTRY['id']}", headers=admin.auth())
    assert deleted.status == 200 and (await deleted.json())["knowledge_revision"] == before
    assert (await admin.client.get(f"{base}/{ENTRY['id']}", headers=admin.auth())).status == 404


async def test_a_bad_entry_names_its_problem_and_changes_nothing(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge/entries"
    before = await revision(admin)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"file": "faq/after_sale.yaml", "entry": {**ENTRY, "stage": "someday"}}, "stage"),
        ({"file": "faq/after_sale.yaml", "entry": {**ENTRY, "id": "faq-return-7day"}}, "entry.id"),
        ({"file": "../escape.yaml", "entry": ENTRY}, "file"),
        ({"file": "shop.yaml", "entry": ENTRY}, "file"),
        ({"entry": ENTRY}, "file"),
        ({"file": FAQ, "entry": {k: v for k, v in ENTRY.items() if k != "id"}}, "entry.id"),
        ({"file": FAQ, "entry": ENTRY, "extra": 1}, "extra"),
    ]
    for body, field in cases:
        response = await admin.client.post(base, json=body, headers=admin.auth())
        assert response.status in (409, 422), (body, response.status)
        errors = (await response.json())["errors"]
        assert any(field in e["field"] or field in e["message"] for e in errors), (field, errors)
    mismatch = await admin.client.put(f"{base}/faq-return-7day", json={"entry": ENTRY}, headers=admin.auth())
    assert mismatch.status == 422 and (await mismatch.json())["errors"][0]["field"] == "entry.id"
    missing = await admin.client.put(f"{base}/no-such-entry", json={"entry": ENTRY}, headers=admin.auth())
    assert missing.status == 404 and (await missing.json())["errors"][0]["field"] == "id"
    assert await revision(admin) == before


async def test_a_number_or_a_control_character_in_an_entry_s_text_is_a_422_naming_the_field(
    make_admin: AdminFactory,
) -> None:
    """A user test: `"answer": 123` answered 201 and was suggested as "123"; a number as the
    question, variants or category and a NUL in the answer were stored too."""
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge/entries"
    before = await revision(admin)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"answer": 123}, "entry.answer", "answer: must be text, got a number (123"),
        ({"question": 12345}, "entry.question", "question: must be text, got a number (12345"),
        ({"variants": [1, 2]}, "entry.variants", "variants: item 1 must be text, got a number (1"),
        ({"category": 3.5}, "entry.category", "category: must be text, got a number (3.5"),
        ({"answer": "亲，可以\u0000的"}, "entry.answer", "answer: must not contain a NUL character"),
    ]
    for changes, field, message in cases:
        body = {"file": "faq/pre_sale.yaml", "entry": {**ENTRY, "id": "faq-x", **changes}}
        response = await admin.client.post(base, json=body, headers=admin.auth())
        assert response.status == 422, (changes, await response.text())
        errors = (await response.json())["errors"]
        assert {e["field"] for e in errors} == {field}, (changes, errors)
        assert message in errors[0]["message"], (changes, errors)
        replaced = {**{k: v for k, v in ENTRY.items() if k != "id"}, **changes}
        put = await admin.client.put(f"{base}/faq-return-7day", json={"entry": replaced}, headers=admin.auth())
        assert put.status == 422, (changes, await put.text())
        assert {e["field"] for e in (await put.json())["errors"]} == {field}, changes
    assert await revision(admin) == before
    assert (await admin.client.get(f"{base}/faq-x", headers=admin.auth())).status == 404


async def test_an_id_written_as_a_number_is_told_to_be_text_not_required(make_admin: AdminFactory) -> None:
    """A user test: `"id": 12` in an entry answered `entry.id: required`, and a PUT of entry 12 with
    it "differs from the id in the path ('12')". An id is text: the one rule of the loader (and of
    `huashu knowledge check`), said of `entry.id` with the id quoted as JSON writes it; in an
    uploaded file, at its line, as the file's format writes it."""
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge/entries"
    before = await revision(admin)
    said = 'entry.id: must be text (a string), got a number (12): write it in quotes, "id": "12"'
    added = await admin.client.post(base, json={"file": FAQ, "entry": {**ENTRY, "id": 12}}, headers=admin.auth())
    assert added.status == 422, await added.text()
    assert (await added.json())["errors"] == [{"field": "entry.id", "message": said}]
    put = await admin.client.put(f"{base}/faq-return-7day", json={"entry": {**ENTRY, "id": 12}}, headers=admin.auth())
    assert put.status == 422, await put.text()
    assert (await put.json())["errors"] == [{"field": "entry.id", "message": said}]

    upload = "/v1/admin/shops/demo/knowledge?rebuild=false"
    reply = '{"id": 7, "customer": "在吗", "reply": "在的亲", "tags": ["other"]}\n'
    files = {FAQ: GOOD_FAQ.replace("id: faq-custom-gift-wrap", "id: 12"), "past_replies_extra.jsonl": reply}
    response = await admin.client.post(upload, json={"files": files}, headers=admin.auth())
    assert response.status == 422, await response.text()
    assert (await response.json())["errors"] == [
        {
            "field": FAQ,
            "message": f'{FAQ}:1: id: must be text (a string), got a number (12): write it in quotes, id: "12"',
        },
        {
            "field": "past_replies_extra.jsonl",
            "message": "past_replies_extra.jsonl:1: id: must be text (a string), got a number (7): write it in quotes, "
            '"id": "7"',
        },
    ]
    assert await revision(admin) == before
    quoted = {FAQ: GOOD_FAQ.replace("id: faq-custom-gift-wrap", 'id: "12"')}
    response = await admin.client.post(upload, json={"files": quoted}, headers=admin.auth())
    assert response.status == 200, await response.text()
    assert (await admin.client.get(f"{base}/12", headers=admin.auth())).status == 200


async def test_entries_of_a_file_the_shop_does_not_have_are_a_404_naming_file(make_admin: AdminFactory) -> None:
    """A user test: `?file=nosuch.yaml` answered 200 with no entries, as if the file were empty."""
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge/entries"
    response = await admin.client.get(f"{base}?file=nosuch.yaml", headers=admin.auth())
    assert response.status == 404
    (error,) = (await response.json())["errors"]
    assert error["field"] == "file"
    files = sorted(files_of())
    assert error["message"] == f"shop 'demo' has no knowledge file 'nosuch.yaml'; expected one of: {', '.join(files)}"
    found = await admin.client.get(f"{base}?file=faq/after_sale.yaml", headers=admin.auth())
    assert found.status == 200
    listed = (await found.json())["entries"]
    assert listed and {e["file"] for e in listed} == {"faq/after_sale.yaml"}


async def test_an_entry_added_is_served_without_a_restart_or_a_second_call(make_admin: AdminFactory) -> None:
    """A user test: an entry added through the API was stored but not served until a manual
    rebuild, and nothing said so. Every change now starts the rebuild that serves it (`job`)."""
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge/entries"
    asked = "发票抬头写错了能改吗"
    added = await admin.client.post(base, json={"file": "faq/after_sale.yaml", "entry": ENTRY}, headers=admin.auth())
    assert added.status == 201, await added.text()
    job = (await added.json())["job"]
    assert job is not None and job["shop"] == "demo"
    assert (await job_done(admin, job["id"]))["state"] == "done"
    served = await say(admin, "k1", "m1", asked)
    assert served["suggestions"][0]["entry_id"] == ENTRY["id"] and served["answerable"] is True

    # a batch of edits: stored only, served by one rebuild afterwards
    changed = {**ENTRY, "answer": "亲，开票后抬头不能直接改，需要先申请红冲再重开哦。"}
    put = await admin.client.put(f"{base}/{ENTRY['id']}?rebuild=false", json={"entry": changed}, headers=admin.auth())
    assert put.status == 200 and (await put.json())["job"] is None
    assert (await say(admin, "k1", "m2", asked))["suggestions"][0]["text"] == ENTRY["answer"]  # stale
    bad = await admin.client.delete(f"{base}/{ENTRY['id']}?rebuild=maybe", headers=admin.auth())
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "rebuild"
    deleted = await admin.client.delete(f"{base}/{ENTRY['id']}", headers=admin.auth())
    assert deleted.status == 200
    assert (await job_done(admin, (await deleted.json())["job"]["id"]))["state"] == "done"
    after = await say(admin, "k1", "m3", asked)
    assert all(s["entry_id"] != ENTRY["id"] for s in after["suggestions"])


async def test_an_entry_s_missing_field_is_named_as_the_entry_s_field(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge/entries"
    entry = {k: v for k, v in ENTRY.items() if k != "answer"}
    response = await admin.client.post(base, json={"file": "faq/after_sale.yaml", "entry": entry}, headers=admin.auth())
    assert response.status == 422
    (error,) = (await response.json())["errors"]
    assert error["field"] == "entry.answer" and "missing required field `answer`" in error["message"]


async def test_a_misspelt_entry_field_is_named_in_the_body_with_a_hint(make_admin: AdminFactory) -> None:
    """A user test: `anwser` in an entry got no "did you mean" and its lines pointed into the
    stored file (`faq/after_sale.yaml:713`, a line the admin never saw). The 422 names the body's
    fields: `entry.anwser` unknown (did you mean `entry.answer`?), `entry.answer` missing."""
    admin = await make_admin()
    base = "/v1/admin/shops/demo/knowledge/entries"
    before = await revision(admin)
    typo = {("anwser" if k == "answer" else k): v for k, v in ENTRY.items()}
    added = await admin.client.post(base, json={"file": "faq/after_sale.yaml", "entry": typo}, headers=admin.auth())
    no_id = {k: v for k, v in typo.items() if k != "id"}
    put = await admin.client.put(f"{base}/faq-return-7day", json={"entry": no_id}, headers=admin.auth())
    for response in (added, put):
        assert response.status == 422, await response.text()
        errors = {e["field"]: e["message"] for e in (await response.json())["errors"]}
        assert errors == {
            "entry.anwser": "entry.anwser: unknown field (did you mean 'entry.answer'?)",
            "entry.answer": "entry: missing required field `answer` (got 'entry.anwser': did you mean 'entry.answer'?)",
        }, errors
    far = {**ENTRY, "zzz": 1}  # nothing close: the fields it may have
    response = await admin.client.post(base, json={"file": "faq/after_sale.yaml", "entry": far}, headers=admin.auth())
    (error,) = (await response.json())["errors"]
    assert error["field"] == "entry.zzz" and error["message"].startswith(
        "entry.zzz: unknown field (expected one of: id,"
    )
    assert await revision(admin) == before


async def test_an_upload_of_the_knowledge_as_stored_changes_nothing_and_rebuilds_nothing(
    make_admin: AdminFactory,
) -> None:
    """A user test: uploading the files the shop already has queued a rebuild. Nothing changed: no
    new revision, no job, and the answer says so (`unchanged`); `entries` counts the entries."""
    admin = await make_admin()
    store = admin.client.app[keys.STORE]
    before, jobs = await revision(admin), len(await store.jobs("demo"))
    # the shop serves a snapshot of its knowledge as stored (a record is enough: nothing is built here)
    await store.add_snapshot(SnapshotRecord("demo", "v1", "2026-12-07T00:00:00+00:00", {"faq": 1}, before))
    await store.activate("demo", "v1")
    name = "faq/after_sale.yaml"
    stored = (KNOWLEDGE / name).read_text(encoding="utf-8")
    response = await admin.client.post(
        "/v1/admin/shops/demo/knowledge", json={"files": {name: stored}}, headers=admin.auth()
    )
    assert response.status == 200, await response.text()
    answer = await response.json()
    assert (answer["unchanged"], answer["job"], answer["knowledge_revision"]) == (True, None, before), answer
    assert answer["entries"] == sum(n for f, n in files_of().items() if f != "shop.yaml") == answer["rows"] - 1
    assert len(await store.jobs("demo")) == jobs and await revision(admin) == before
    changed = stored.replace("亲", "您好，亲", 1)
    response = await admin.client.post(
        "/v1/admin/shops/demo/knowledge", json={"files": {name: changed}}, headers=admin.auth()
    )
    answer = await response.json()
    assert response.status == 200 and answer["unchanged"] is False and answer["job"] is not None, answer


async def test_the_same_upload_again_rebuilds_a_shop_whose_served_snapshot_is_older(make_admin: AdminFactory) -> None:
    """A second reading: after an upload with `rebuild=false` (or a failed build), sending the same
    files again, the way an admin retries, answered `unchanged` with no job and the shop stayed stale."""
    admin = await make_admin()
    name = "faq/after_sale.yaml"
    changed = (KNOWLEDGE / name).read_text(encoding="utf-8").replace("亲", "您好，亲", 1)
    upload = {"files": {name: changed}}
    first = await admin.client.post("/v1/admin/shops/demo/knowledge?rebuild=false", json=upload, headers=admin.auth())
    assert first.status == 200 and (await first.json())["job"] is None
    again = await admin.client.post("/v1/admin/shops/demo/knowledge", json=upload, headers=admin.auth())
    answer = await again.json()
    assert again.status == 200 and answer["unchanged"] is True and answer["job"] is not None, answer

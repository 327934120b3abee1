"""What an admin is told of an upload: problems at the lines of the files the admin has, never at
a line of a copy the store wrote; a file that holds nothing refused by name, never a silent 200."""

from __future__ import annotations

from assistant.service import keys
from assistant.service.settings import Secret
from tests.conftest import KNOWLEDGE

from .conftest import Admin, AdminFactory

UPLOAD = "/v1/admin/shops/demo/knowledge"
OPERATOR = "operator-upload-problems-token"
ENTRY = """\
- id: {id}
  stage: pre_sale
  category: 包装
  question: 可以礼品包装吗？{n}
  variants:
    - 能包装成礼物吗{n}
  answer: 亲，可以的～下单备注"礼品包装"，免费帮您包好哦。
  tags: [other]
"""


async def revision(admin: Admin) -> str:
    value: str = await admin.client.app[keys.STORE].knowledge_revision("demo")
    return value


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


async def test_a_repeated_id_is_told_at_the_lines_of_the_admin_s_files(make_admin: AdminFactory) -> None:
    # A user test: an upload repeating an id was told at a line of the store's rewritten copy of the
    # other file (comments dropped: faq/after_sale.yaml:1), where `huashu knowledge check` said :2.
    admin = await make_admin()
    before = await revision(admin)
    first, second = ENTRY.format(id="faq-gift", n=1), ENTRY.format(id="faq-gift", n=2)
    text = "# 礼品包装\n# 两条\n\n" + first + "\n# 又一条\n" + second
    response = await admin.client.post(UPLOAD, json={"files": {"faq/gift.yaml": text}}, headers=admin.auth())
    assert response.status == 422, await response.text()
    assert [e["message"] for e in (await response.json())["errors"]] == [
        "faq/gift.yaml:14: id 'faq-gift' is already used at faq/gift.yaml:4"
    ]

    # an id of a file the shop holds (imported with its comments; only its rows are stored): the
    # uploaded file at its own line, the stored entry by its file and place, never a stored line
    stored = (KNOWLEDGE / "faq" / "after_sale.yaml").read_text(encoding="utf-8")
    assert line_of(stored, "- id: faq-return-7day") == 2  # what `huashu knowledge check` names
    text = "# 新的\n\n" + ENTRY.format(id="faq-return-7day", n=3)
    response = await admin.client.post(UPLOAD, json={"files": {"faq/new.yaml": text}}, headers=admin.auth())
    assert response.status == 422, await response.text()
    errors = (await response.json())["errors"]
    assert errors == [
        {
            "field": "faq/new.yaml",
            "message": "faq/new.yaml:3: id 'faq-return-7day' is already used by the shop's entry 1 of "
            "faq/after_sale.yaml (stored, not in this upload: GET "
            "/v1/admin/shops/demo/knowledge/entries/faq-return-7day)",
        }
    ]
    # the same when the uploaded file sorts first (the loader names the second one it reads)
    response = await admin.client.post(UPLOAD, json={"files": {"faq/aaa.yaml": text}}, headers=admin.auth())
    assert [e["message"] for e in (await response.json())["errors"]] == [errors[0]["message"].replace("new", "aaa")]
    assert await revision(admin) == before


async def test_an_upload_of_a_file_that_holds_nothing_is_a_422_naming_it(make_admin: AdminFactory) -> None:
    # A user test: an empty faq file answered 200 and changed nothing, without a word.
    admin = await make_admin()
    before = await revision(admin)
    for name, text in (
        ("faq/new.yaml", ""),
        ("faq/new.yaml", "# 以后再写\n"),
        ("faq/new.yaml", "[]\n"),
        ("past_replies_new.jsonl", "\n"),
    ):
        response = await admin.client.post(UPLOAD, json={"files": {name: text}}, headers=admin.auth())
        body = await response.json()
        assert response.status == 422, (name, text, body)
        assert body["errors"] == [
            {"field": name, "message": f"{name}: holds no entries (an empty file, or only comments): nothing to store"}
        ], body
        assert "nothing was changed" in body["error"]
        # with replace=all it is the whole knowledge: the same, never a path of the server's scratch folder
        response = await admin.client.post(f"{UPLOAD}?replace=all", json={"files": {name: text}}, headers=admin.auth())
        assert (await response.json())["errors"][0]["field"] == name
    response = await admin.client.post(UPLOAD, json={"files": {"shop.yaml": ""}}, headers=admin.auth())
    body = await response.json()
    assert response.status == 422 and body["errors"][0]["field"] == "shop.yaml", body
    assert body["errors"][0]["message"].startswith("shop.yaml: holds nothing"), body
    assert await revision(admin) == before

    # a file the shop holds, uploaded empty: how to remove its entries, and that is how
    name = "faq/after_sale.yaml"
    response = await admin.client.post(UPLOAD, json={"files": {name: "# 空\n"}}, headers=admin.auth())
    body = await response.json()
    assert response.status == 422, body
    message = body["errors"][0]["message"]
    assert body["errors"][0]["field"] == name and message.startswith(f"{name}: holds no entries"), body
    assert "to remove every entry of faq/after_sale.yaml" in message and "remove_missing=true" in message, body
    assert await revision(admin) == before
    emptied = await admin.client.post(
        f"{UPLOAD}?remove_missing=true&rebuild=false", json={"files": {name: "# 空\n"}}, headers=admin.auth()
    )
    body = await emptied.json()
    assert emptied.status == 200 and "faq-return-7day" in body["removed"], body
    rows = await admin.client.app[keys.STORE].knowledge_rows("demo")
    assert not [r for r in rows if r.file == name]

    # replace=all with nothing but a shop.yaml: no temp folder in the answer
    response = await admin.client.post(
        f"{UPLOAD}?replace=all&remove_missing=true", json={"files": {"shop.yaml": "name: 店\n"}}, headers=admin.auth()
    )
    body = await response.json()
    assert response.status == 422, body
    assert body["errors"] == [
        {"field": "files", "message": "files: the knowledge would hold no entries (see knowledge/README.md)"}
    ], body


async def test_an_empty_file_beside_others_is_skipped_and_named(make_admin: AdminFactory) -> None:
    # A second reading: a knowledge folder with a comment-only promotions.yaml (which the loader and
    # `huashu knowledge check` pass) was refused whole at creation and with replace=all
    admin = await make_admin(admin_token=Secret(OPERATOR))
    files = {
        "shop.yaml": "name: 空文件店\n",
        "faq/a.yaml": ENTRY.format(id="faq-gift", n=1),
        "promotions.yaml": "# 暂无活动\n",
        "past_replies_2.jsonl": "",
    }
    body = {"shop": "blanks", "files": files}
    created = await admin.client.post("/v1/admin/shops?rebuild=false", json=body, headers=admin.auth(OPERATOR))
    said = await created.json()
    assert created.status == 201, said
    assert said["warnings"] == [
        f"{name}: holds no entries (an empty file, or only comments): skipped, nothing stored from it"
        for name in ("past_replies_2.jsonl", "promotions.yaml")
    ], said
    assert said["shop"]["knowledge"]["files"] == {"faq/a.yaml": 1, "shop.yaml": 1}, said
    upload = "/v1/admin/shops/blanks/knowledge?replace=all&rebuild=false"
    files["faq/a.yaml"] = ENTRY.format(id="faq-gift", n=2)
    response = await admin.client.post(upload, json={"files": files}, headers=admin.auth(OPERATOR))
    uploaded = await response.json()
    assert response.status == 200, uploaded
    # the upload's answer names the skipped files too, as creation's does
    assert [w.split(":")[0] for w in uploaded["warnings"]] == ["past_replies_2.jsonl", "promotions.yaml"], uploaded
    rows = await admin.client.app[keys.STORE].knowledge_rows("blanks")
    assert sorted({r.file for r in rows}) == ["faq/a.yaml", "shop.yaml"]
    # every file empty: nothing to store at all, a 422 naming each, no shop created
    body = {"shop": "nothing", "files": {"promotions.yaml": "# 暂无\n", "faq/a.yaml": ""}}
    refused = await admin.client.post("/v1/admin/shops?rebuild=false", json=body, headers=admin.auth(OPERATOR))
    said = await refused.json()
    assert refused.status == 422, said
    assert [e["field"] for e in said["errors"]] == ["files.promotions.yaml", "files.faq/a.yaml"], said
    assert all(e["message"].endswith("nothing to store") for e in said["errors"]), said
    assert await admin.client.app[keys.STORE].shop("nothing") is None

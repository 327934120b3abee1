"""A shop created with a `name` and a shop.yaml naming it otherwise: a user test's
`POST /v1/admin/shops` with "name": "壳先生" and a shop.yaml saying 壳先生手机壳店 created 壳先生 without
a word, and the next upload of the same shop.yaml renamed it. The shop.yaml names the shop (every
upload of it does), so a request whose two names differ is refused, naming both, and nothing is
created; names that agree, or either alone, create the shop so named."""

from __future__ import annotations

from pathlib import Path

from assistant.service import keys
from assistant.service.settings import Secret

from .conftest import AdminFactory
from .test_admin_cli import FAQ, CapSys, huashu

OPERATOR = "operator-create-name-token"
FILES = {"shop.yaml": "name: 壳先生手机壳店\n", "faq/a.yaml": FAQ}


async def test_a_name_that_differs_from_the_shop_yaml_is_refused_naming_both(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    body = {"shop": "case", "name": "壳先生", "files": FILES}
    refused = await admin.client.post("/v1/admin/shops?rebuild=false", json=body, headers=admin.auth(OPERATOR))
    assert refused.status == 422, await refused.text()
    said = await refused.json()
    assert {e["field"] for e in said["errors"]} == {"name", "files.shop.yaml"}, said
    assert "壳先生" in said["error"] and "壳先生手机壳店" in said["error"] and "no shop was created" in said["error"]
    assert await admin.client.app[keys.STORE].shop("case") is None

    for name in ("壳先生手机壳店", ""):  # agreeing, or the shop.yaml's alone: the shop.yaml's name
        body = {"shop": f"case{len(name)}", "name": name, "files": FILES}
        created = await admin.client.post("/v1/admin/shops?rebuild=false", json=body, headers=admin.auth(OPERATOR))
        assert created.status == 201, await created.text()
        assert (await created.json())["shop"]["name"] == "壳先生手机壳店"
    body = {"shop": "plain", "name": "壳先生", "files": {"faq/a.yaml": FAQ}}
    created = await admin.client.post("/v1/admin/shops?rebuild=false", json=body, headers=admin.auth(OPERATOR))
    assert created.status == 201, await created.text()  # no shop.yaml among the files: the name given
    assert (await created.json())["shop"]["name"] == "壳先生"


async def test_the_admin_cli_says_both_names(make_admin: AdminFactory, tmp_path: Path, capsys: CapSys) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    folder = tmp_path / "case"
    (folder / "faq").mkdir(parents=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    url = str(admin.client.make_url("/"))
    create = ("admin", "shops", "create", "case", "--knowledge", str(folder), "--name", "壳先生")
    assert await huashu(*create, "--url", url, f"--token={OPERATOR}") != 0
    err = capsys.readouterr().err
    assert "壳先生手机壳店" in err and "name" in err, err
    assert await admin.client.app[keys.STORE].shop("case") is None


async def test_a_name_is_stripped_before_it_is_compared_and_stored(make_admin: AdminFactory) -> None:
    # a second reading: "壳先生手机壳店 " matched the shop.yaml's name and was stored with its space
    admin = await make_admin(admin_token=Secret(OPERATOR))
    for shop, name, files in (
        ("spaced", " 壳先生手机壳店 ", FILES),
        ("spaced-alone", "  壳先生\u3000", {"faq/a.yaml": FAQ}),
        ("spaced-blank", "   ", FILES),  # blank: no name given, the shop.yaml's
    ):
        body = {"shop": shop, "name": name, "files": files}
        created = await admin.client.post("/v1/admin/shops?rebuild=false", json=body, headers=admin.auth(OPERATOR))
        assert created.status == 201, await created.text()
        expected = name.strip() or "壳先生手机壳店"
        assert (await created.json())["shop"]["name"] == expected
        record = await admin.client.app[keys.STORE].shop(shop)
        assert record is not None and record.name == expected

"""An uploaded shop.yaml is the shop's knowledge: its `name` becomes the shop's name (the shop
record, `GET /v1/admin/shops/{shop}`, the admin page's shop picker), and the answer says the shop
was renamed. A user test: a shop created as 新茶店, then `huashu admin knowledge upload tea DIR` of
a shop.yaml naming 山野茶舍, was still 新茶店 everywhere."""

from __future__ import annotations

from pathlib import Path

from assistant.service import keys
from assistant.service.settings import Secret

from .conftest import AdminFactory
from .test_admin_cli import FAQ, CapSys, huashu

OPERATOR = "operator-name-token"


async def test_an_uploaded_shop_yaml_names_the_shop(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    created = await admin.client.post(
        "/v1/admin/shops?rebuild=false", json={"shop": "tea", "name": "新茶店"}, headers=admin.auth(OPERATOR)
    )
    assert created.status == 201, await created.text()
    token = (await created.json())["admin_token"]
    files = {"shop.yaml": "name: 山野茶舍\n", "faq/a.yaml": FAQ}
    response = await admin.client.post(
        "/v1/admin/shops/tea/knowledge?rebuild=false", json={"files": files}, headers=admin.auth(token)
    )
    assert response.status == 200, await response.text()
    said = await response.json()
    assert (said["name"], said["renamed_from"]) == ("山野茶舍", "新茶店")
    shown = await admin.client.get("/v1/admin/shops/tea", headers=admin.auth(token))
    assert (await shown.json())["shop"]["name"] == "山野茶舍"
    listed = await admin.client.get("/v1/admin/shops", headers=admin.auth(OPERATOR))
    if listed.status == 200:  # the page's shop picker reads the shops' records
        assert "新茶店" not in await listed.text()
    assert (await admin.client.app[keys.STORE].shop("tea")).name == "山野茶舍"  # type: ignore[union-attr]

    again = await admin.client.post(  # the same name again: nothing renamed
        "/v1/admin/shops/tea/knowledge?rebuild=false", json={"files": files}, headers=admin.auth(token)
    )
    assert ((await again.json())["name"], (await again.json())["renamed_from"]) == ("山野茶舍", None)
    faq_only = await admin.client.post(  # no shop.yaml uploaded: the name stays
        "/v1/admin/shops/tea/knowledge?rebuild=false",
        json={"files": {"faq/a.yaml": FAQ.replace("全场包邮", "满99包邮")}},
        headers=admin.auth(token),
    )
    assert ((await faq_only.json())["name"], (await faq_only.json())["renamed_from"]) == ("山野茶舍", None)


async def test_the_admin_cli_upload_says_the_shop_was_renamed(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys
) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    url = str(admin.client.make_url("/"))
    created = await admin.client.post(
        "/v1/admin/shops?rebuild=false", json={"shop": "tea", "name": "新茶店"}, headers=admin.auth(OPERATOR)
    )
    token = (await created.json())["admin_token"]
    folder = tmp_path / "tea"
    (folder / "faq").mkdir(parents=True)
    (folder / "shop.yaml").write_text("name: 山野茶舍\n", encoding="utf-8")
    (folder / "faq" / "a.yaml").write_text(FAQ, encoding="utf-8")
    upload = ("admin", "knowledge", "upload", "tea", str(folder), "--no-rebuild", "--url", url, f"--token={token}")
    assert await huashu(*upload) == 0
    out = capsys.readouterr().out
    assert "shop tea renamed: 新茶店 -> 山野茶舍 (the name in its shop.yaml)" in out, out

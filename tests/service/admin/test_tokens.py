"""A shop's tokens through the admin API and `huashu admin tokens` (a user test: tokens could only
be made with `huashu token create` on the server): created with the secret shown once, listed
without secrets, revoked (never the caller's own token). Stored hashed in the real store."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from assistant.cli import main
from assistant.service import keys
from assistant.service.settings import Secret

from .conftest import Admin, AdminFactory

OPERATOR = "operator-tokens-token"
CapSys = pytest.CaptureFixture[str]


def _tokens(admin: Admin, shop: str = "demo") -> str:
    return f"/v1/admin/shops/{shop}/tokens"


async def _made(admin: Admin, token: str, shop: str = "demo", **body: Any) -> dict[str, Any]:
    response = await admin.client.post(_tokens(admin, shop), json=body, headers=admin.auth(token))
    made: dict[str, Any] = await response.json()
    assert response.status == 201, made
    return made


async def _error(response: Any, status: int) -> tuple[str, str]:
    body = await response.json()
    assert response.status == status and body["ok"] is False, body
    return body["errors"][0]["field"], body["error"]


async def test_a_shop_admin_makes_lists_and_revokes_its_shop_s_tokens(make_admin: AdminFactory) -> None:
    admin = await make_admin(store_tokens=True)
    store = admin.client.app[keys.STORE]
    agent = await _made(admin, admin.admin, role="agent", name="前台小王")
    assert agent["token"]["role"] == "agent" and agent["token"]["name"] == "前台小王"
    assert agent["secret"].startswith(agent["token"]["prefix"]) and agent["token"]["yours"] is False
    second_admin = await _made(admin, admin.admin, role="admin")
    assert second_admin["token"]["name"] == ""
    # the new secrets work, in their roles
    asked = {"Authorization": f"Bearer {agent['secret']}"}
    assert (await admin.client.get("/v1/admin/shops/demo", headers=asked)).status == 403  # an agent token
    assert (await admin.client.get("/v1/admin/shops/demo", headers=admin.auth(second_admin["secret"]))).status == 200
    kept = await store.database.fetch("SELECT secret_sha256 FROM tokens WHERE id=?", (agent["token"]["id"],))
    assert agent["secret"] not in str(kept)  # only its hash

    listed = await admin.client.get(_tokens(admin), headers=admin.auth())
    body = await listed.json()
    assert listed.status == 200 and body["shop"] == "demo"
    assert agent["secret"] not in await listed.text() and second_admin["secret"] not in await listed.text()
    rows = {t["id"]: t for t in body["tokens"]}
    assert set(rows) == {t.id for t in await store.tokens("demo")} and len(rows) == 4
    assert rows[agent["token"]["id"]]["name"] == "前台小王"
    assert [t["role"] for t in body["tokens"] if t["yours"]] == ["admin"]  # the caller's own, marked

    revoked = await admin.client.delete(f"{_tokens(admin)}/{agent['token']['id']}", headers=admin.auth())
    assert revoked.status == 200 and (await revoked.json())["revoked"] == agent["token"]["id"]
    assert (await admin.client.get("/v1/admin/shops/demo", headers=asked)).status == 401  # refused from now on
    again = await admin.client.delete(f"{_tokens(admin)}/{agent['token']['id']}", headers=admin.auth())
    assert await _error(again, 404) == ("id", f"shop 'demo' has no token {agent['token']['id']!r}")

    # a token never revokes itself; another admin token of the shop may revoke it
    own = next(t["id"] for t in body["tokens"] if t["yours"])
    field, message = await _error(await admin.client.delete(f"{_tokens(admin)}/{own}", headers=admin.auth()), 409)
    assert field == "id" and "cannot revoke itself" in message
    by_other = await admin.client.delete(f"{_tokens(admin)}/{own}", headers=admin.auth(second_admin["secret"]))
    assert by_other.status == 200
    assert (await admin.client.get("/v1/admin/shops/demo", headers=admin.auth())).status == 401


async def test_who_may_manage_which_shop_s_tokens(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR), store_tokens=True)
    store = admin.client.app[keys.STORE]
    other_token = (await store.tokens("other"))[0]
    # another shop's admin, an agent, nobody: refused, nothing made or revoked
    assert (await _error(await admin.client.post(_tokens(admin, "other"), json={"role": "agent"},
                                                 headers=admin.auth()), 403))[0] == "shop"  # fmt: skip
    assert (await _error(await admin.client.get(_tokens(admin, "other"), headers=admin.auth()), 403))[0] == "shop"
    revoke_other = f"{_tokens(admin, 'other')}/{other_token.id}"
    assert (await _error(await admin.client.delete(revoke_other, headers=admin.auth()), 403))[0] == "shop"
    agent_call = admin.client.post(_tokens(admin), json={"role": "admin"}, headers=admin.auth(admin.agent))
    assert (await _error(await agent_call, 403))[0] == "Authorization"
    assert (await _error(await admin.client.get(_tokens(admin)), 401))[0] == "Authorization"
    assert [t.id for t in await store.tokens("other")] == [other_token.id]
    # the operator, for any shop; an unknown shop is a 404 naming it
    made = await _made(admin, OPERATOR, "other", role="admin", name="运营")
    assert made["token"]["yours"] is False
    assert (await admin.client.delete(revoke_other, headers=admin.auth(OPERATOR))).status == 200
    assert [t.id for t in await store.tokens("other")] == [made["token"]["id"]]
    unknown = admin.client.post(_tokens(admin, "nope"), json={"role": "agent"}, headers=admin.auth(OPERATOR))
    assert (await _error(await unknown, 404))[0] == "shop"
    assert (await _error(await admin.client.get(_tokens(admin, "nope"), headers=admin.auth(OPERATOR)), 404))[0] == (
        "shop"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [({"role": "owner"}, "role"), ({}, "role"), ({"role": "agent", "nmae": "x"}, "nmae"),
     ({"role": "agent", "name": "x" * 101}, "name")],
)  # fmt: skip
async def test_a_wrong_token_body_is_named(make_admin: AdminFactory, body: dict[str, Any], field: str) -> None:
    admin = await make_admin(store_tokens=True)
    before = len(await admin.client.app[keys.STORE].tokens("demo"))
    response = await admin.client.post(_tokens(admin), json=body, headers=admin.auth())
    assert (await _error(response, 422))[0] == field
    assert len(await admin.client.app[keys.STORE].tokens("demo")) == before


async def _huashu(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_huashu_admin_tokens_create_list_revoke(make_admin: AdminFactory, capsys: CapSys) -> None:
    admin = await make_admin(store_tokens=True)
    url = str(admin.client.make_url("/"))
    conn = ("--url", url, f"--token={admin.admin}")
    assert await _huashu("admin", "tokens", "create", "demo", "--role", "agent", "--name", "夜班", *conn) == 0
    out = capsys.readouterr()
    secret = out.out.strip()  # the secret alone on stdout
    assert secret.startswith("huashu_") and "\n" not in secret
    assert "agent token " in out.err and "(夜班) of shop demo: shown once" in out.err
    record = await admin.client.app[keys.STORE].verify_token(secret)
    assert record is not None and record.name == "夜班"

    assert await _huashu("admin", "tokens", "list", "demo", *conn) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"{record.id}\tagent\t夜班\t{record.created_at}" in lines
    assert sum(line.endswith("\t(this token)") for line in lines) == 1 and secret not in "\n".join(lines)

    assert await _huashu("admin", "tokens", "revoke", "demo", *conn) == 2
    assert "which ID?" in capsys.readouterr().err
    assert await _huashu("admin", "tokens", "revoke", "demo", record.id, *conn) == 0
    assert capsys.readouterr().out.strip() == f"token {record.id} of shop demo revoked"
    assert await admin.client.app[keys.STORE].verify_token(secret) is None
    assert await _huashu("admin", "tokens", "revoke", "demo", record.id, *conn) == 1
    err = capsys.readouterr().err
    assert "HTTP 404" in err and "Traceback" not in err

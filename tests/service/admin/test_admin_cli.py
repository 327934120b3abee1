"""`huashu admin ...` against a running service: a shop created from a folder, shown, its
knowledge uploaded and one entry put and deleted; every refusal is lines, never a traceback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.cli.admin import waiting_line
from assistant.service import keys
from assistant.service.settings import Secret
from assistant.storage.protocols import JobRecord, KnowledgeRow, SnapshotRecord
from assistant.suggest.rebuild import Rebuilder

from .conftest import Admin, AdminFactory
from .test_analytics import GAP_QUESTIONS, GAP_REPLY, say
from .test_candidates import BRAND_REPLY, chats

OPERATOR = "operator-cli-token"
CapSys = pytest.CaptureFixture[str]
FAQ = (
    "- id: faq-a\n  stage: pre_sale\n  category: 物流\n  question: 包邮吗\n  variants: [包不包邮]\n"
    "  answer: 亲，全场包邮哦\n  tags: [shipping]\n"
)


def tea_shop(folder: Path) -> Path:
    (folder / "faq").mkdir(parents=True)
    (folder / "shop.yaml").write_text("name: 茶叶小店\n", encoding="utf-8")
    (folder / "faq" / "a.yaml").write_text(FAQ, encoding="utf-8")
    return folder


async def huashu(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_admin_cli_creates_shows_uploads_and_edits(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys
) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    url = str(admin.client.make_url("/"))
    folder = tea_shop(tmp_path / "tea")
    assert (
        await huashu("admin", "shops", "create", "tea", "--knowledge", str(folder), "--url", url, f"--token={OPERATOR}")
        == 0
    )
    out = capsys.readouterr()
    token = out.out.strip()  # the token alone on stdout, for a script; the first build followed on stderr
    assert "shop tea (茶叶小店) created: 1 entry (+ shop.yaml);" in out.err and token and "\n" not in token
    assert ": done, snapshot " in out.err and "serves it" in out.err
    assert (await admin.client.app[keys.STORE].active_snapshot("tea")) is not None

    assert await huashu("admin", "shops", "show", "tea", "--url", url, f"--token={token}") == 0
    assert '"rows": 2' in capsys.readouterr().out

    (folder / "faq" / "b.yaml").write_text(FAQ.replace("faq-a", "faq-b"), encoding="utf-8")
    assert (
        await huashu(
            "admin", "knowledge", "upload", "tea", str(folder / "faq" / "b.yaml"), "--url", url, f"--token={token}"
        )
        == 0
    )
    assert "faq/b.yaml stored; 2 entries (+ shop.yaml)," in capsys.readouterr().out
    # the same file again: nothing changed, nothing rebuilt (a user test: it queued a rebuild)
    jobs = len(await admin.client.app[keys.STORE].jobs("tea"))
    again = ("admin", "knowledge", "upload", "tea", str(folder / "faq" / "b.yaml"), "--url", url, f"--token={token}")
    assert await huashu(*again) == 0
    assert "faq/b.yaml unchanged; nothing to rebuild" in capsys.readouterr().out
    assert len(await admin.client.app[keys.STORE].jobs("tea")) == jobs

    bad = folder / "faq" / "c.yaml"
    bad.write_text(FAQ.replace("faq-a", "faq-c").replace("stage: pre_sale", "stage: later"), encoding="utf-8")
    assert await huashu("admin", "knowledge", "upload", "tea", str(bad), "--url", url, f"--token={token}") == 1
    err = capsys.readouterr().err
    assert "HTTP 422" in err and "faq/c.yaml:2: stage:" in err and "Traceback" not in err
    assert len(await admin.client.app[keys.STORE].knowledge_rows("tea")) == 3

    entry = tmp_path / "entry.yaml"
    entry.write_text(FAQ.replace("faq-a", "faq-d"), encoding="utf-8")
    put = ("admin", "entry", "put", "tea", str(entry), "--url", url, f"--token={token}")
    assert await huashu(*put) == 2
    assert "pass --file to add it" in capsys.readouterr().err
    assert await huashu(*put, "--file", "faq/a.yaml", "--quiet") == 0
    out = capsys.readouterr().out
    assert "entry faq-d added in faq/a.yaml" in out and ": done, snapshot " in out and "serves it" in out
    entry.write_text(FAQ.replace("faq-a", "faq-d").replace("全场包邮哦", "满99包邮哦"), encoding="utf-8")
    assert await huashu(*put, "--no-rebuild") == 0
    out = capsys.readouterr().out
    assert "entry faq-d replaced" in out and "not served yet: rebuild with `huashu admin rebuild tea`" in out
    rows = {r.entry_id: r for r in await admin.client.app[keys.STORE].knowledge_rows("tea")}
    assert rows["faq-d"].data["answer"] == "亲，满99包邮哦"
    assert await huashu("admin", "entry", "delete", "tea", "faq-d", "--url", url, f"--token={token}") == 0
    assert "faq-d" not in {r.entry_id for r in await admin.client.app[keys.STORE].knowledge_rows("tea")}


async def test_admin_cli_tells_an_entry_s_problems_at_the_lines_of_the_user_s_file(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys
) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    url = str(admin.client.make_url("/"))
    folder = tea_shop(tmp_path / "tea")
    more = "".join(FAQ.replace("faq-a", f"faq-x{n}") for n in range(3))  # the stored lines are not the user's
    (folder / "faq" / "a.yaml").write_text(FAQ + more, encoding="utf-8")
    create = ("admin", "shops", "create", "tea", "--knowledge", str(folder), "--url", url, f"--token={OPERATOR}")
    assert await huashu(*create) == 0
    token = capsys.readouterr().out.strip()
    entry = tmp_path / "entry.yaml"
    broken = FAQ.replace("亲，全场包邮哦", "''").replace("stage: pre_sale", "stage: soon")
    entry.write_text("# 改一下包邮的说法\n" + broken, encoding="utf-8")
    for extra in ((), ("--file", "faq/a.yaml")):  # replacing faq-a, then adding it as new (refused the same)
        target = "faq-a" if not extra else "faq-new"
        entry.write_text(entry.read_text(encoding="utf-8").replace("faq-a", target), encoding="utf-8")
        put = ("admin", "entry", "put", "tea", str(entry), *extra, "--url", url, f"--token={token}")
        assert await huashu(*put) == 1
        err = capsys.readouterr().err
        assert f"{entry}:3: stage: 'soon' is not one of" in err, err
        # the service names the body's field, not a line of the shop's stored file (a user test)
        assert f"{entry}:7: answer: must not be empty\n" in err and "faq/a.yaml:" not in err, err
        assert "Traceback" not in err
    entry.write_text(FAQ.replace("  answer:", "  anwser:"), encoding="utf-8")  # a misspelt key: told what was meant
    assert await huashu("admin", "entry", "put", "tea", str(entry), "--url", url, f"--token={token}") == 1
    err = capsys.readouterr().err
    assert f"{entry}:6: anwser: unknown field (did you mean 'answer'?)\n" in err, err
    assert f"{entry}:1: missing required field `answer` (got 'anwser': did you mean 'answer'?)" in err, err
    assert {r.entry_id for r in await admin.client.app[keys.STORE].knowledge_rows("tea")} >= {"faq-a"}
    assert "faq-new" not in {r.entry_id for r in await admin.client.app[keys.STORE].knowledge_rows("tea")}


async def test_admin_cli_refusals_are_one_line_each(make_admin: AdminFactory, capsys: CapSys) -> None:
    admin = await make_admin()
    url = str(admin.client.make_url("/"))
    assert await huashu("admin", "shops", "show", "demo", "--url", url, f"--token={admin.other_admin}") == 1
    err = capsys.readouterr().err
    assert err.startswith("huashu: GET /v1/admin/shops/demo: HTTP 403") and "Traceback" not in err
    assert await huashu("admin", "shops", "show", "demo", "--url", "http://127.0.0.1:9", "--token", "x") == 2
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


async def test_admin_cli_lists_snapshots_as_lines_or_json(make_admin: AdminFactory, capsys: CapSys) -> None:
    admin = await make_admin()
    url = str(admin.client.make_url("/"))
    listing = ("admin", "snapshots", "list", "demo", "--url", url, f"--token={admin.admin}")
    assert await huashu(*listing) == 0
    assert capsys.readouterr().out == "shop demo: no snapshots yet (huashu admin rebuild demo)\n"
    store = admin.client.app[keys.STORE]
    revision = await store.knowledge_revision("demo")
    await store.add_snapshot(
        SnapshotRecord("demo", "v1", "2026-01-01T00:00:00+00:00", {"faq": 2, "policy": 1}, revision)
    )
    await store.add_snapshot(SnapshotRecord("demo", "v0", "2025-12-31T00:00:00+00:00", {}, "older-revision"))
    await store.pin("demo", "v1")
    assert await huashu(*listing) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "v1\tbuilt 2026-01-01T00:00:00+00:00\tfaq 2, policy 1\tpinned" in lines
    assert any(line.startswith("v0\tbuilt 2025-12-31T00:00:00+00:00\tno entries\tstale") for line in lines)
    assert not any("{" in line for line in lines)  # no dict reprs
    assert await huashu(*listing, "--json") == 0
    listed = {s["version"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["v1"]["counts"] == {"faq": 2, "policy": 1} and listed["v1"]["pinned"]


async def test_admin_cli_pins_and_unpins_a_snapshot(make_admin: AdminFactory, capsys: CapSys) -> None:
    admin = await make_admin()
    url = str(admin.client.make_url("/"))
    store = admin.client.app[keys.STORE]
    revision = await store.knowledge_revision("demo")
    await store.add_snapshot(SnapshotRecord("demo", "v1", "2026-01-01T00:00:00+00:00", {"faq": 2}, revision))
    for action, said, pinned in (("pin", "pinned (never pruned)", True), ("unpin", "unpinned", False)):
        command = ("admin", "snapshots", action, "demo", "v1", "--url", url, f"--token={admin.admin}")
        assert await huashu(*command) == 0
        assert capsys.readouterr().out == f"shop demo: snapshot v1 {said}\n"
        (record,) = [s for s in await store.snapshots("demo") if s.version == "v1"]
        assert record.pinned is pinned


async def test_admin_cli_approves_a_candidate_and_the_service_serves_it_at_once(
    make_admin: AdminFactory, capsys: CapSys
) -> None:
    """From a terminal against the running service, an approval needs no second command: it
    waits for the rebuild it started, and the next customer asking is answered by the new entry
    (the store-side `huashu candidates approve` says to run `huashu admin rebuild`)."""
    admin = await make_admin()
    await chats(admin)  # GAP_REPLY sent three times by two agents, BRAND_REPLY once
    connection = ("--url", str(admin.client.make_url("/")), f"--token={admin.admin}")
    assert await huashu("admin", "candidates", "list", "demo", *connection) == 0
    lines = {line.split("\t")[3]: line.split("\t") for line in capsys.readouterr().out.splitlines()}
    gap, brand = lines[GAP_REPLY], lines[BRAND_REPLY]
    assert (gap[1], gap[2]) == ("pending", "3× by 2 agent(s)")
    assert await huashu("admin", "candidates", "approve", "demo", *connection) == 2
    assert "which ID?" in capsys.readouterr().err
    assert await huashu("admin", "candidates", "approve", "demo", gap[0], "--quiet", *connection) == 0
    out = capsys.readouterr().out
    assert f"candidate {gap[0]} approved as entry faq-cand-{gap[0]} in faq/approved_replies.yaml" in out
    assert ": done, snapshot " in out and "serves it" in out
    served = await say(admin, "g9", "m1", GAP_QUESTIONS[0])
    assert served["answerable"] is True and served["suggestions"][0]["entry_id"] == f"faq-cand-{gap[0]}"
    assert await huashu("admin", "candidates", "reject", "demo", brand[0], *connection) == 0
    assert f"candidate {brand[0]} rejected" in capsys.readouterr().out
    assert await huashu("admin", "candidates", "reject", "demo", brand[0], *connection) == 1  # decided already
    err = capsys.readouterr().err
    assert "HTTP 409" in err and "Traceback" not in err
    assert await huashu("admin", "candidates", "list", "demo", "--status", "all", "--json", *connection) == 0
    statuses = {c["reply"]: c["status"] for c in json.loads(capsys.readouterr().out)}
    assert (statuses[GAP_REPLY], statuses[BRAND_REPLY]) == ("approved", "rejected")


async def tea_created(make_admin: AdminFactory, tmp_path: Path, capsys: CapSys) -> tuple[Admin, str, str]:
    """The service with the tea shop created through the CLI: (the service, its URL, the shop's admin token)."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    url = str(admin.client.make_url("/"))
    create = ("admin", "shops", "create", "tea", "--knowledge", str(tea_shop(tmp_path / "tea")), "--url", url)
    assert await huashu(*create, f"--token={OPERATOR}") == 0
    token = capsys.readouterr().out.strip()
    return admin, url, token


async def test_admin_cli_refuses_an_upload_that_would_remove_entries_naming_them(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys
) -> None:
    # A user test: entries added with `huashu admin entry put`, then `huashu admin knowledge upload
    # demo knowledge` printed only "stored; 349 rows" and those entries were gone: their file was replaced.
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    store = admin.client.app[keys.STORE]
    connect = ("--url", url, f"--token={token}", "--no-rebuild")
    for entry_id in ("faq-pet-damage", "faq-wash-machine"):
        entry = tmp_path / f"{entry_id}.yaml"
        entry.write_text(FAQ.replace("faq-a", entry_id), encoding="utf-8")
        assert await huashu("admin", "entry", "put", "tea", str(entry), "--file", "faq/a.yaml", *connect) == 0
    capsys.readouterr()
    upload = ("admin", "knowledge", "upload", "tea", str(tmp_path / "tea"), *connect)
    before = await store.knowledge_revision("tea")

    assert await huashu(*upload) == 1
    err = capsys.readouterr().err
    assert "HTTP 409: nothing was changed: the upload would remove 2 entries of shop tea" in err, err
    assert "faq/a.yaml: entry 'faq-pet-damage' is not in the uploaded files: it would be removed" in err
    assert "faq/a.yaml: entry 'faq-wash-machine' is not in the uploaded files" in err
    assert "huashu shop export tea DIR" in err and "upload again with --remove-missing" in err
    assert "Traceback" not in err
    assert await store.knowledge_revision("tea") == before

    assert await huashu(*upload, "--remove-missing") == 0
    out = capsys.readouterr().out
    assert "stored; 1 entry (+ shop.yaml)" in out
    assert "shop tea: removed 2 entries your files did not have: faq-pet-damage, faq-wash-machine" in out
    assert {r.entry_id for r in await store.knowledge_rows("tea")} == {"", "faq-a"}
    assert await huashu(*upload) == 0  # nothing left to remove: as stored already
    assert "unchanged; nothing to rebuild" in capsys.readouterr().out


async def test_admin_cli_says_a_change_is_stored_before_its_rebuild_fails(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second reading: the "stored; knowledge revision" line came only after the rebuild, so a
    # failed rebuild (or a wait cut short) left the admin unsure whether the entry had landed.
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)

    release = asyncio.Event()

    async def disk_full(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        await release.wait()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Rebuilder, "_build", disk_full)
    entry = tmp_path / "entry.yaml"
    entry.write_text(FAQ.replace("faq-a", "faq-d"), encoding="utf-8")
    put = ("admin", "entry", "put", "tea", str(entry), "--file", "faq/a.yaml", "--quiet")
    running = asyncio.create_task(huashu(*put, "--url", url, f"--token={token}"))
    out = ""
    for _ in range(200):  # the line is there while the rebuild still runs
        out += capsys.readouterr().out
        if "knowledge revision" in out or running.done():
            break
        await asyncio.sleep(0.05)
    assert "entry faq-d added in faq/a.yaml; knowledge revision " in out and not running.done()
    release.set()
    assert await running == 1
    err = capsys.readouterr().err
    assert "failed" in err and "No space left" in err and "Traceback" not in err
    assert any(r.entry_id == "faq-d" for r in await admin.client.app[keys.STORE].knowledge_rows("tea"))


async def test_admin_cli_blames_a_broken_stored_entry_not_the_user_s_file(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys
) -> None:
    # A second reading: with another entry of the shop broken in the store, putting a good entry
    # was refused as `entry.answer` and told at the user's file's answer line.
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    store = admin.client.app[keys.STORE]
    row = next(r for r in await store.knowledge_rows("tea") if r.entry_id == "faq-a")
    await store.put_row("tea", KnowledgeRow(row.file, row.position, row.entry_id, {**row.data, "answer": ""}))

    body = {"entry": {**row.data, "id": "faq-d", "answer": "亲，有的哦"}, "file": "faq/a.yaml"}
    headers = {"Authorization": f"Bearer {token}"}
    refused = await admin.client.post("/v1/admin/shops/tea/knowledge/entries", json=body, headers=headers)
    assert refused.status == 422
    assert [e["field"] for e in (await refused.json())["errors"]] == ["faq/a.yaml"]

    entry = tmp_path / "entry.yaml"
    entry.write_text(FAQ.replace("faq-a", "faq-d"), encoding="utf-8")
    put = ("admin", "entry", "put", "tea", str(entry), "--file", "faq/a.yaml", "--url", url, f"--token={token}")
    assert await huashu(*put) == 1
    err = capsys.readouterr().err
    assert "in the shop's knowledge, not in " in err and f"{entry}:" not in err

    own = {"entry": {**row.data, "id": "faq-e", "answer": "", "answer2": "x", "备注": "y"}, "file": "faq/a.yaml"}
    refused = await admin.client.post("/v1/admin/shops/tea/knowledge/entries", json=own, headers=headers)
    fields = sorted(e["field"] for e in (await refused.json())["errors"])
    assert fields == ["entry.answer", "entry.answer2", "entry.备注", "faq/a.yaml"]  # unknown keys are the entry's too

    await store.put_row("tea", row)  # the shop mended: a problem of the user's own file is told at its line
    entry.write_text(FAQ.replace("faq-a", "faq-f") + "  answer2: x\n", encoding="utf-8")
    assert await huashu(*put) == 1
    err = capsys.readouterr().err
    assert f"{entry}:8: answer2: unknown field" in err and "in the shop's knowledge" not in err


async def test_admin_cli_takes_a_shop_s_token_from_huashu_token(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shop's token lives in HUASHU_TOKEN: HUASHU_ADMIN_TOKEN is the operator's setting, which a
    # `huashu serve` started from the same shell would take up (a user test).
    _, url, token = await tea_created(make_admin, tmp_path, capsys)
    monkeypatch.delenv("HUASHU_ADMIN_TOKEN", raising=False)
    assert await huashu("admin", "shops", "show", "tea", "--url", url) == 2
    assert "set HUASHU_TOKEN (a shop's admin token)" in capsys.readouterr().err
    monkeypatch.setenv("HUASHU_TOKEN", token)
    assert await huashu("admin", "shops", "show", "tea", "--url", url) == 0
    assert '"rows": 2' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flag", "env", "said"),
    [
        (None, {"HUASHU_TOKEN": "huashu_ab_cd\ntea token: shown once"}, "HUASHU_TOKEN holds a newline: set it to"),
        (None, {"HUASHU_ADMIN_TOKEN": "op\x1b[0m"}, "HUASHU_ADMIN_TOKEN holds a control character (U+001B)"),
        ("huashu_ab\tcd", {"HUASHU_TOKEN": "fine"}, "--token holds a tab: pass the token alone"),
    ],
)
def test_a_token_with_a_newline_is_one_line_naming_where_it_came_from(
    tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch, flag: str | None, env: dict[str, str], said: str
) -> None:
    """A user test: `export HUASHU_TOKEN=$(huashu token create ...)` took the information lines
    too, and `huashu admin entry put` ended in aiohttp's traceback (a newline in a header). It is
    one `huashu:` line naming the variable (or flag), exit 2, before anything is sent."""
    for name in ("HUASHU_TOKEN", "HUASHU_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    entry = tmp_path / "a.yaml"
    entry.write_text("id: faq-a\nstage: pre_sale\nquestion: 包邮吗\nanswer: 亲，全场包邮哦\n", encoding="utf-8")
    token = [f"--token={flag}"] if flag else []
    for command in (["shops", "show", "tea"], ["entry", "put", "tea", str(entry), "--no-rebuild"]):
        assert main(["admin", *command, "--url", "http://127.0.0.1:1", *token]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"huashu: {said}") and err.count("\n") == 1 and "Traceback" not in err


async def test_admin_cli_puts_a_promotion_with_unquoted_dates(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys
) -> None:
    """A user test: `starts: 2026-12-01` unquoted, as knowledge/README.md writes it, is a YAML date
    and ended in a traceback (a date is not JSON); it goes as ISO text, and a time where a date is
    wanted is told at its line."""
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    promo = tmp_path / "promo.yaml"
    promo.write_text(
        "id: promo-winter\ntitle: 冬季满减\nstarts: 2026-12-01\nends: 2026-12-31\n"
        "rules: 满199减30\nquestions: [有什么优惠活动吗]\nreply: 亲，本月满199减30哦\ntags: [winter]\n",
        encoding="utf-8",
    )
    put = ("admin", "entry", "put", "tea", str(promo), "--file", "promotions.yaml", "--no-rebuild")
    assert await huashu(*put, "--url", url, f"--token={token}") == 0, capsys.readouterr().err
    rows = {r.entry_id: r for r in await admin.client.app[keys.STORE].knowledge_rows("tea")}
    assert (rows["promo-winter"].data["starts"], rows["promo-winter"].data["ends"]) == ("2026-12-01", "2026-12-31")
    capsys.readouterr()
    promo.write_text(promo.read_text(encoding="utf-8").replace("ends: 2026-12-31", "ends: 2026-12-31 18:00"))
    assert await huashu(*put, "--url", url, f"--token={token}") == 1
    err = capsys.readouterr().err
    assert f"{promo}:4: ends: " in err and "is not a date" in err and "Traceback" not in err, err


async def test_an_ended_promotion_is_stored_with_a_warning(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys
) -> None:
    """A user test: a promotion that had ended was accepted silently and then suggested. It is
    stored (an admin may be archiving it) and told, by the CLI on stderr and by the API in
    `warnings`; the Suggester never shows it (tests/suggest/test_expired_entries.py)."""
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    promo = tmp_path / "promo.yaml"
    old = (
        "id: promo-old\ntitle: 去年双12\nstarts: 2020-12-01\nends: 2020-12-12\n"
        "rules: 满199减30\nquestions: [双12有活动吗]\nreply: 亲，双12满199减30哦\ntags: [d12]\n"
    )
    promo.write_text(old, encoding="utf-8")
    put = ("admin", "entry", "put", "tea", str(promo), "--file", "promotions.yaml", "--no-rebuild")
    assert await huashu(*put, "--url", url, f"--token={token}") == 0
    out, err = capsys.readouterr()
    assert "entry promo-old added in promotions.yaml" in out
    assert err.startswith("warning: entry promo-old (promotions.yaml): ends 2020-12-12 is before today ("), err
    assert "Asia/Shanghai): stored, never suggested" in err
    path, headers = "/v1/admin/shops/tea/knowledge?rebuild=false", {"Authorization": f"Bearer {token}"}

    def upload(text: str) -> dict[str, dict[str, str]]:
        return {"files": {"promotions.yaml": "- " + "\n  ".join(text.strip().splitlines()) + "\n"}}

    current = upload(old.replace("ends: 2020-12-12", "ends: 2999-12-12"))
    response = await admin.client.post(path, json=current, headers=headers)
    assert response.status == 200 and (await response.json())["warnings"] == []
    response = await admin.client.post(path, json=upload(old), headers=headers)
    body = await response.json()
    assert response.status == 200 and len(body["warnings"]) == 1, body
    assert body["warnings"][0].startswith("entry promo-old (promotions.yaml): ends 2020-12-12 is before today")


async def test_admin_cli_changes_a_shops_settings(make_admin: AdminFactory, tmp_path: Path, capsys: CapSys) -> None:
    """`huashu admin shops set` sends PATCH /v1/admin/shops/{shop}: each value read as YAML, `--unset` removes."""
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    connection = ("--url", url, f"--token={OPERATOR}")

    async def change(*pairs: str) -> int:
        return await huashu("admin", "shops", "set", "tea", *pairs, *connection)

    assert await change("threshold=0.4", "chatwoot_account=7", "chatwoot_inboxes=[5, 6]", "chatwoot_notes=yes") == 0
    shown = json.loads(capsys.readouterr().out)
    wanted = {"threshold": 0.4, "chatwoot_account": 7, "chatwoot_inboxes": [5, 6], "chatwoot_notes": True}
    assert {k: shown["settings"][k] for k in wanted} == wanted
    assert await change("--unset", "chatwoot_notes") == 0
    assert "chatwoot_notes" not in json.loads(capsys.readouterr().out)["settings"]
    record = await admin.client.app[keys.STORE].shop("tea")
    assert (
        record is not None and record.settings["chatwoot_inboxes"] == [5, 6] and "chatwoot_notes" not in record.settings
    )
    assert await change("note=冬季") == 1  # no reader reads it: refused, naming the key
    assert "settings.note" in capsys.readouterr().err
    # refusals: one line each, no traceback; a shop's own admin token may not change settings
    assert await change("threshold") == 2
    assert "'threshold': expected KEY=VALUE" in capsys.readouterr().err
    assert await change("threshold=2") == 1
    assert "settings.threshold" in capsys.readouterr().err
    assert await huashu("admin", "shops", "set", "tea", "threshold=0.5", "--url", url, f"--token={token}") == 1
    assert "HTTP 403" in capsys.readouterr().err


async def test_admin_cli_rolls_back_and_says_whether_the_knowledge_came_back_too(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys
) -> None:
    """A user test: `snapshots activate` printed only "activated" for a stale snapshot, so the next
    rebuild undid the rollback unannounced. It now says so, and `--restore-knowledge` puts the
    snapshot's knowledge back with it."""
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    store = admin.client.app[keys.STORE]
    first = (await store.active_snapshot("tea")).version  # type: ignore[union-attr]
    entry = tmp_path / "entry.yaml"
    entry.write_text(FAQ.replace("faq-a", "faq-b").replace("包邮吗", "发什么快递"), encoding="utf-8")
    connect = ("--url", url, f"--token={token}")
    assert await huashu("admin", "entry", "put", "tea", str(entry), "--file", "faq/a.yaml", "--quiet", *connect) == 0
    capsys.readouterr()
    assert (await store.active_snapshot("tea")).version != first  # type: ignore[union-attr]

    assert await huashu("admin", "snapshots", "activate", "tea", first, *connect) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"shop tea: snapshot {first} activated\nnote: the knowledge changed since it was built")
    assert "--restore-knowledge puts the snapshot's back" in out
    assert "faq-b" in {r.entry_id for r in await store.knowledge_rows("tea")}

    assert await huashu("admin", "snapshots", "pin", "tea", first, "--restore-knowledge", *connect) == 2
    assert "--restore-knowledge goes with activate" in capsys.readouterr().err
    assert await huashu("admin", "snapshots", "activate", "tea", first, "--restore-knowledge", *connect) == 0
    assert capsys.readouterr().out == (
        f"shop tea: snapshot {first} activated\nknowledge restored: 2 rows as the snapshot was built from them\n"
    )
    assert {r.entry_id for r in await store.knowledge_rows("tea")} == {"", "faq-a"}


async def test_admin_cli_rebuild_says_what_a_queued_job_waits_behind(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user test: a rebuild queued behind another build showed a silent 0% for minutes.
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    real, release = Rebuilder._build, asyncio.Event()

    async def held_first(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        if job.id == first.id:
            await release.wait()
        return await real(self, job, rows)

    monkeypatch.setattr(Rebuilder, "_build", held_first)
    first = await admin.client.app[keys.REBUILDER].start("tea")
    while (await admin.client.app[keys.STORE].job(first.id)).state != "running":  # type: ignore[union-attr]
        await asyncio.sleep(0.02)
    running = asyncio.create_task(huashu("admin", "rebuild", "tea", "--url", url, f"--token={token}"))
    err = ""
    for _ in range(200):
        err += capsys.readouterr().err
        if "queued behind" in err or running.done():
            break
        await asyncio.sleep(0.05)
    assert f": queued behind 1 job(s): job {first.id} of shop tea (running, 0%)" in err and not running.done()
    release.set()
    assert await running == 0
    out, err = capsys.readouterr()
    assert ": done in " in out and "Traceback" not in err


def test_a_build_waiting_for_a_builder_process_says_so_counting_other_shops() -> None:
    waiting = {
        "jobs": 3,
        "ahead": [{"id": "j2", "shop": "tea", "state": "running", "progress": 0.5}],
        "waits_for": "builder_slot",
    }
    line = waiting_line({"id": "j9", "state": "queued", "waiting_behind": waiting})
    assert line == (
        "job j9: queued for a builder process behind 3 build(s): job j2 of shop tea (running, 50%), 2 of other shops"
    )

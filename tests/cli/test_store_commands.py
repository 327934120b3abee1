"""`huashu shop|token|store` on a real store file: import validated first, export, tokens once,
a shop deleted with its index folder (and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
import pytest_asyncio

from assistant.cli import main
from assistant.cli.shop import RedisMemory
from assistant.cli.token import open_access_ended
from assistant.knowledge.files import read_rows
from assistant.retrieval.types import Turn
from assistant.service import shared_state
from assistant.service.redis_link import RedisDown
from assistant.service.settings import Settings
from assistant.storage import open_store
from assistant.storage.protocols import SnapshotRecord, revision_of
from assistant.storage.records import MessageRecord, Record
from assistant.suggest.shop_deletion import MemoryUnreachable
from assistant.suggest.snapshots import shop_dir
from tests.conftest import KNOWLEDGE, REDIS_URL, postgres_database

T = TypeVar("T")

CapSys = pytest.CaptureFixture[str]


def url_of(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def write_records(url: str, records: Sequence[Record]) -> None:
    """`records` into the store at `url`, as the service writes them."""

    async def work() -> None:
        store = open_store(url)
        await store.open()
        try:
            await store.write(list(records))
        finally:
            await store.close()

    asyncio.run(work())


def small_shop(folder: Path, answer: str = "亲，全场包邮哦") -> Path:
    (folder / "faq").mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text("name: 茶叶小店\n", encoding="utf-8")
    (folder / "faq" / "a.yaml").write_text(
        "- id: faq-a\n  stage: pre_sale\n  category: 物流\n  question: 包邮吗\n  variants: [包不包邮]\n"
        f"  answer: {answer}\n  tags: [shipping]\n",
        encoding="utf-8",
    )
    return folder


def test_create_import_export_list(tmp_path: Path, capsys: CapSys) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    assert "shop tea (茶叶小店) created from " in (said := capsys.readouterr().out)
    assert ": 1 entry (+ shop.yaml), knowledge revision " in said, said  # a user test: "2 rows" for one entry
    assert main(["shop", "create", "demo", "--knowledge", str(KNOWLEDGE), "--name", "Demo", *db]) == 0
    capsys.readouterr()
    assert main(["shop", "list", *db]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["demo", "Demo"], ["tea", "茶叶小店"]]
    assert main(["shop", "import", "tea", str(small_shop(tmp_path / "tea2", "亲，满99包邮")), *db]) == 0
    assert ": 1 entry (+ shop.yaml), knowledge revision " in capsys.readouterr().out  # the one FAQ, and shop.yaml
    assert main(["shop", "export", "tea", str(tmp_path / "out"), *db]) == 0
    assert "满99包邮" in (tmp_path / "out" / "faq" / "a.yaml").read_text(encoding="utf-8")
    assert main(["shop", "export", "demo", str(tmp_path / "demo-out"), *db]) == 0
    assert read_rows(tmp_path / "demo-out") == read_rows(KNOWLEDGE)
    capsys.readouterr()
    assert main(["shop", "export", "demo", str(tmp_path / "demo-out"), *db]) == 0  # again: nothing to write
    files = len({r.file for r in read_rows(KNOWLEDGE)})
    assert (
        capsys.readouterr().out
        == f"shop demo: 0 files written to {tmp_path / 'demo-out'}/ ({files} unchanged, left as they were)\n"
    )


def test_create_and_import_say_on_stderr_what_builds_the_knowledge(
    tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user test: `huashu shop create` printed "created ... 3 rows" and nothing of the build; the
    shop answered 503 until an admin guessed `huashu admin rebuild`. stdout stays the one line."""
    monkeypatch.setenv("HUASHU_INDEX_POLL_S", "5")
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("shop tea (茶叶小店) created from ") and out.count("\n") == 1
    assert err == (
        "shop tea: not built yet: a service running on this store starts building it within 10 s "
        "(a stopped one once it runs); `huashu admin rebuild tea` builds it now with a progress bar\n"
    )
    monkeypatch.setenv("HUASHU_INDEX_POLL_S", "0")
    assert main(["shop", "import", "tea", str(small_shop(tmp_path / "tea2", "亲，满99包邮")), *db]) == 0
    assert "service's HUASHU_INDEX_POLL_S=0: it waits" in capsys.readouterr().err

    async def built() -> None:  # as a service's build would leave it
        store = open_store(url_of(tmp_path))
        await store.open()
        try:
            await store.add_snapshot(SnapshotRecord("tea", "v1", "2026-01-01T00:00:00Z", {}, "old", active=True))
        finally:
            await store.close()

    asyncio.run(built())
    assert main(["shop", "import", "tea", str(small_shop(tmp_path / "tea3", "亲，满199包邮")), *db]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("shop tea: knowledge replaced from ") and out.count("\n") == 1
    kept = "shop tea: the service keeps serving snapshot v1 until `huashu admin rebuild tea` builds this knowledge"
    assert err == kept + "\n"


def test_an_import_with_a_bad_file_changes_nothing(tmp_path: Path, capsys: CapSys) -> None:
    url = url_of(tmp_path)
    assert main(["shop", "create", "demo", "--knowledge", str(KNOWLEDGE), "--database-url", url]) == 0
    bad = tmp_path / "bad"
    shutil.copytree(KNOWLEDGE, bad)
    (bad / "faq" / "pre_sale.yaml").write_text("- id: faq-x\n  stage: later\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["shop", "import", "demo", str(bad), "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert "nothing changed" in err and "faq/pre_sale.yaml:2: stage: 'later' is not one of" in err
    assert "Traceback" not in err

    async def revision() -> str:
        store = open_store(url)
        await store.open()
        try:
            return await store.knowledge_revision("demo")
        finally:
            await store.close()

    assert asyncio.run(revision()) == revision_of(read_rows(KNOWLEDGE))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["shop", "import", "nope", "KNOWLEDGE"], "no shop 'nope'"),
        (["shop", "create", "Bad Id", "--knowledge", "KNOWLEDGE"], "not a valid id"),
        (["shop", "create", "x", "--knowledge", "missing-folder"], "missing-folder: no such knowledge folder"),
        (["token", "create", "--shop", "nope", "--role", "agent"], "no shop 'nope'"),
        (["token", "revoke", "--shop", "nope", "abc"], "shop nope has no token abc"),
        (["store", "purge"], "nothing to purge"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, capsys: CapSys, argv: list[str], message: str) -> None:
    argv = [str(KNOWLEDGE) if a == "KNOWLEDGE" else a for a in argv]
    assert main([*argv, "--database-url", url_of(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    "argv",
    [
        ["candidates", "list", "--shop", "demo"],
        ["shop", "list"],
        ["shop", "export", "demo", "out"],
        ["token", "list", "--shop", "demo"],
        ["index", "info", "--shop", "demo"],
        ["report", "weekly", "--shop", "demo"],
    ],
)
def test_a_reading_command_does_not_create_a_store(
    tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.delenv("HUASHU_DATABASE_URL", raising=False)
    (tmp_path / "knowledge").mkdir()  # a folder of its own: its store is looked for here, not the checkout's
    monkeypatch.chdir(tmp_path)  # and there is no var/huashu.db here
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        f"huashu: no store at sqlite:///var/huashu.db ({tmp_path.resolve() / 'var' / 'huashu.db'}): nothing to read; "
        "set HUASHU_DATABASE_URL or --database-url to the service's store\n"
    )
    assert not (tmp_path / "var").exists()


def test_the_first_token_says_open_access_ends_only_where_it_had_not(
    tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the operator's token set (or open access off) in the shell the service runs from,
    open access had ended before any token: the first token says nothing about it."""
    url = url_of(tmp_path)
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), "--database-url", url]) == 0
    monkeypatch.setenv("HUASHU_ADMIN_TOKEN", "operator-secret")
    capsys.readouterr()
    assert main(["token", "create", "--shop", "tea", "--role", "agent", "--database-url", url]) == 0
    assert "open access" not in capsys.readouterr().err
    assert open_access_ended({"HUASHU_OPEN_ACCESS": "off"})
    assert not open_access_ended({}) and not open_access_ended({"HUASHU_OPEN_ACCESS": "maybe"})


def test_an_unreachable_database_is_one_line(capsys: CapSys) -> None:
    assert main(["shop", "list", "--database-url", "postgresql://huashu:pw@127.0.0.1:1/x"]) == 2
    err = capsys.readouterr().err
    assert "cannot open the database at postgresql://huashu:***@127.0.0.1:1/x" in err and ":pw@" not in err


def test_a_token_is_printed_once_and_verifies(tmp_path: Path, capsys: CapSys) -> None:
    url = url_of(tmp_path)
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), "--database-url", url]) == 0
    capsys.readouterr()
    assert main(["token", "create", "--shop", "tea", "--role", "agent", "--database-url", url]) == 0
    out = capsys.readouterr()
    secret = out.out.strip()  # the token alone on stdout: `export HUASHU_TOKEN=$(huashu token create ...)`
    assert out.out == secret + "\n" and secret.startswith("huashu_")
    said, ends = out.err.splitlines()  # what it is, on stderr
    assert "shown once" in said and "open access ends" in ends  # the store's first token says so
    assert main(["token", "create", "--shop", "tea", "--role", "admin", "--database-url", url]) == 0
    out = capsys.readouterr()
    assert len(out.out.splitlines()) == 1 and "open access" not in out.err  # the second does not
    assert main(["token", "list", "--shop", "tea", "--database-url", url]) == 0
    listed = capsys.readouterr().out
    token_id = secret.split("_")[1]
    assert token_id in listed and "agent" in listed and secret not in listed

    async def verify() -> str | None:
        store = open_store(url)
        await store.open()
        try:
            record = await store.verify_token(secret)
            return record.shop if record else None
        finally:
            await store.close()

    assert asyncio.run(verify()) == "tea"
    assert main(["token", "revoke", "--shop", "tea", token_id, "--database-url", url]) == 0
    assert asyncio.run(verify()) is None


def test_store_purge_deletes_old_records(tmp_path: Path, capsys: CapSys) -> None:
    url = url_of(tmp_path)

    async def seed_and_count(seed: bool) -> int:
        store = open_store(url)
        await store.open()
        try:
            if seed:
                old = "2020-01-01T00:00:00.000+00:00"
                await store.write([MessageRecord("api", "demo", "c1", "m1", "customer", "在吗", old, old)])
            return len(await store.messages("demo", "c1"))
        finally:
            await store.close()

    assert asyncio.run(seed_and_count(True)) == 1
    assert main(["store", "purge", "--older-than-days", "30", "--database-url", url]) == 0
    assert "messages 1" in capsys.readouterr().out
    assert asyncio.run(seed_and_count(False)) == 0
    assert main(["store", "migrate", "--database-url", url]) == 0
    assert "up to date" in capsys.readouterr().out


def test_the_list_says_when_a_shop_snapshot_is_stale(tmp_path: Path, capsys: CapSys) -> None:
    url = url_of(tmp_path)
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), "--database-url", url]) == 0

    async def publish() -> None:
        store = open_store(url)
        await store.open()
        try:
            revision = await store.knowledge_revision("tea")
            await store.add_snapshot(SnapshotRecord("tea", "v1", "2026-12-01T08:00:00Z", {"faq": 1}, revision, True))
        finally:
            await store.close()

    asyncio.run(publish())
    capsys.readouterr()
    assert main(["shop", "list", "--database-url", url]) == 0
    assert capsys.readouterr().out.rstrip().endswith("snapshot v1")
    assert (
        main(["shop", "import", "tea", str(small_shop(tmp_path / "tea2", "亲，满99包邮")), "--database-url", url]) == 0
    )
    capsys.readouterr()
    assert main(["shop", "list", "--database-url", url]) == 0
    assert capsys.readouterr().out.rstrip().endswith("snapshot v1 (stale)")


def test_a_bad_retention_variable_is_one_line(tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUASHU_RETENTION_DAYS", "soon")
    assert main(["store", "purge", "--database-url", url_of(tmp_path)]) == 2
    assert "HUASHU_RETENTION_DAYS" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["token", "create", "--shop", "tea", "--role", "admin"], ["shop", "list"]])
def test_a_reader_that_closes_stdout_early_gets_no_traceback(
    tmp_path: Path, capsys: CapSys, command: list[str]
) -> None:
    """`huashu token create ... | head -1`: the pipe is closed before the command writes; it ends
    quietly (128 + SIGPIPE, as Unix tools do) and what it did stays done."""
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    child = subprocess.Popen(
        [sys.executable, "-m", "assistant", *command, *db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the reader is gone before the child prints anything
    err = child.stderr.read().decode()
    assert "Traceback" not in err and "BrokenPipe" not in err and err == ""
    assert child.wait(timeout=120) == 141
    capsys.readouterr()
    assert main(["token", "list", "--shop", "tea", *db]) == 0
    tokens = capsys.readouterr().out.splitlines()
    assert len(tokens) == (1 if command[0] == "token" else 0)  # the token was created all the same


@pytest_asyncio.fixture(params=["sqlite", "postgres"], loop_scope="session")
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A store of each backend (PostgreSQL: a database of its own, dropped afterwards)."""
    if request.param == "sqlite":
        yield url_of(tmp_path)
        return
    async with postgres_database("huashu_cli_delete") as url:
        yield url


async def _huashu(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_shop_delete_removes_the_shop_s_rows_and_folder(
    store_url: str, tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user test: a shop owner running `huashu serve` with no operator token could not delete a
    test shop (`huashu admin shops delete` needs that token). `huashu shop delete` works on the store
    and the index folder directly; the other shops keep theirs."""
    monkeypatch.setenv("HUASHU_INDEX_POLL_S", "5")
    index = tmp_path / "index"
    monkeypatch.setenv("HUASHU_INDEX_DIR", str(index))
    db = ["--database-url", store_url]
    for shop in ("tea", "other"):
        assert await _huashu("shop", "create", shop, "--knowledge", str(small_shop(tmp_path / shop)), *db) == 0
        (shop_dir(index, shop) / "snapshots" / "v1").mkdir(parents=True)
        (shop_dir(index, shop) / "snapshots" / "v1" / "manifest.json").write_text("{}", encoding="utf-8")
        (shop_dir(index, shop) / "snapshots" / "v1" / "vectors.npy").write_bytes(b"")
    store = open_store(store_url)
    await store.open()
    try:
        revision = await store.knowledge_revision("tea")
        await store.add_snapshot(SnapshotRecord("tea", "v1", "2026-12-01T08:00:00Z", {"faq": 1}, revision, True))
        await store.create_token("tea", "agent")
        at = "2026-12-01T08:00:00.000+00:00"
        await store.write([MessageRecord("api", "tea", "c1", "m1", "customer", "包邮吗", at, at)])
    finally:
        await store.close()
    capsys.readouterr()

    assert await _huashu("shop", "delete", "tea", *db) == 2  # no --yes: refused, nothing deleted
    err = capsys.readouterr().err
    assert "pass --yes to confirm" in err and len(err.splitlines()) == 1, err
    assert shop_dir(index, "tea").is_dir()

    assert await _huashu("shop", "delete", "tea", "--yes", *db) == 0
    out, err = capsys.readouterr()
    assert out == (
        "shop tea deleted: knowledge_rows 2, snapshots 1, jobs 0, tokens 1, messages 1, suggestions 0, "
        f"feedback 0, answers 0, reply_outcomes 0; 2 files removed with {shop_dir(index, 'tea')}/\n"
    )
    assert err == (
        "shop tea: its tokens no longer work; a service running on this store stops serving it at its next "
        "index poll, within 5 s (HUASHU_INDEX_POLL_S)\n"
    )
    assert not shop_dir(index, "tea").exists() and (shop_dir(index, "other") / "snapshots" / "v1").is_dir()
    assert await _huashu("shop", "list", *db) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == ["other"]
    store = open_store(store_url)
    await store.open()
    try:
        assert await store.shop("tea") is None and await store.tokens("tea") == []
        assert await store.messages("tea", "c1") == [] and len(await store.knowledge_rows("other")) == 2
    finally:
        await store.close()

    assert await _huashu("shop", "delete", "tea", "--yes", *db) == 1  # gone: said, naming it
    err = capsys.readouterr().err
    assert "no shop 'tea' in " in err and "nothing deleted" in err and len(err.splitlines()) == 1, err


async def test_shop_delete_forgets_the_shop_s_conversations_in_redis(
    tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HUASHU_REDIS_URL set (the service's conversation memory shared in Redis), the deletion
    forgets the shop's conversations there too, not at their time-to-live; the other shops' stay.
    Redis unreachable: the shop is deleted all the same, and stderr says what stays until when."""
    db = ["--database-url", url_of(tmp_path), "--index", str(tmp_path / "index")]
    assert await _huashu("shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db[:2]) == 0
    assert await _huashu("shop", "create", "tea-2", "--knowledge", str(small_shop(tmp_path / "tea-2")), *db[:2]) == 0
    redis = await shared_state.connect(REDIS_URL)
    memory = shared_state.RedisConversations(redis, ttl_s=3600, max_turns=3)
    run = uuid.uuid4().hex[:8]
    try:
        for key in (("tea", f"cli-{run}-1"), ("tea", f"cli-{run}-2"), ("tea-2", f"cli-{run}")):
            await memory.add(key, Turn("customer", "包邮吗"))
        monkeypatch.setenv("HUASHU_REDIS_URL", REDIS_URL)
        capsys.readouterr()
        assert await _huashu("shop", "delete", "tea", "--yes", *db) == 0
        out = capsys.readouterr().out
        assert out.startswith("shop tea deleted: ") and " conversations forgotten in Redis" in out, out
        assert await memory.turns(("tea", f"cli-{run}-1")) == () and await memory.turns(("tea", f"cli-{run}-2")) == ()
        assert await memory.turns(("tea-2", f"cli-{run}")) == (Turn("customer", "包邮吗"),)
    finally:
        await memory.forget_shop("tea-2")
        await redis.aclose()
    monkeypatch.setenv("HUASHU_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    assert await _huashu("shop", "delete", "tea-2", "--yes", *db) == 0
    out, err = capsys.readouterr()
    assert out.startswith("shop tea-2 deleted: ") and "Redis" not in out, out
    assert "shop tea-2: its conversations in Redis at 127.0.0.1:1/0 were not forgotten" in err, err
    assert "they expire within 3600 s (HUASHU_CONVERSATION_TTL_S)" in err, err


def test_shop_delete_keeps_the_default_shop(tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    monkeypatch.setenv("HUASHU_DEFAULT_SHOP", "tea")
    capsys.readouterr()
    for yes in ([], ["--yes"]):
        assert main(["shop", "delete", "tea", *yes, *db]) == 1
        err = capsys.readouterr().err
        assert "shop tea is the default shop the service serves (HUASHU_DEFAULT_SHOP=tea" in err, err
        assert "it is kept" in err and len(err.splitlines()) == 1
    monkeypatch.delenv("HUASHU_DEFAULT_SHOP")
    assert main(["shop", "delete", "demo", "--yes", *db]) == 1  # the default default: demo
    assert "HUASHU_DEFAULT_SHOP=demo" in capsys.readouterr().err
    assert main(["shop", "list", *db]) == 0
    assert capsys.readouterr().out.startswith("tea\t")


def test_shop_delete_says_a_service_without_polls_keeps_what_it_loaded(
    tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUASHU_INDEX_POLL_S", "0")
    db = ["--database-url", url_of(tmp_path), "--index", str(tmp_path / "index")]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db[:2]]) == 0
    capsys.readouterr()
    assert main(["shop", "delete", "tea", "--yes", *db]) == 0
    out, err = capsys.readouterr()
    assert out.endswith(f"; no folder at {tmp_path / 'index' / 'shops' / 'tea'}/\n")
    assert "HUASHU_INDEX_POLL_S=0 never polls: it may serve the snapshot it loaded until it restarts" in err


class _RedisGoneAfter:
    """A `RedisLink` over the real Redis that stops answering after `steps` calls of `run`."""

    where = "127.0.0.1:6379/0"

    def __init__(self, client: object, steps: int) -> None:
        self.client, self.steps, self.problem, self.closed = client, steps, "", False

    async def check(self) -> bool:
        return True

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        if self.steps == 0:
            self.problem = "ConnectionError: gone midway"
            raise RedisDown(self.problem)
        self.steps -= 1
        return await call()

    async def close(self) -> None:
        self.closed = True


async def test_shop_delete_says_how_many_conversations_went_when_redis_fails_midway() -> None:
    """Final reading: `huashu shop delete` said none were forgotten in Redis when it failed after some
    SCAN steps (the service counted them). Each step now runs within the link's timeout, as in the
    service, and the steps done count."""
    redis = await shared_state.connect(REDIS_URL)
    shop = f"cli-midway-{uuid.uuid4().hex[:8]}"
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(2500):
                pipe.rpush(f"huashu:turns:{shop}:{n}", "{}")
            await pipe.execute()
        memory = RedisMemory(Settings.from_env({"HUASHU_REDIS_URL": REDIS_URL, "HUASHU_CONVERSATION_TTL_S": "600"}))
        await memory.link.close()
        link = _RedisGoneAfter(redis, steps=1)
        memory.link = link  # type: ignore[assignment]
        with pytest.raises(MemoryUnreachable) as caught:
            await memory.forget_shop(shop)
        left = [key async for key in redis.scan_iter(match=f"huashu:turns:{shop}:*")]
        assert caught.value.forgotten == 2500 - len(left) > 0 and left, caught.value.forgotten
        assert (
            "were not all forgotten (ConnectionError: gone midway): the rest expire within 600 s" in caught.value.left
        )
        assert link.closed
    finally:
        async for key in redis.scan_iter(match=f"huashu:turns:{shop}:*"):
            await redis.delete(key)
        await redis.aclose()


def test_shop_import_says_when_shop_yaml_renames_the_shop(tmp_path: Path, capsys: CapSys) -> None:
    """The import takes the name in the folder's shop.yaml (as an upload does); it said nothing of it."""
    db = ["--database-url", url_of(tmp_path)]
    tea = str(small_shop(tmp_path / "tea"))
    assert main(["shop", "create", "tea", "--knowledge", tea, "--name", "新茶店", *db]) == 0
    capsys.readouterr()
    renamed = small_shop(tmp_path / "tea2")
    (renamed / "shop.yaml").write_text("name: 山野茶舍\n", encoding="utf-8")
    assert main(["shop", "import", "tea", str(renamed), *db]) == 0
    assert "shop tea renamed: 新茶店 -> 山野茶舍 (the name in its shop.yaml)" in capsys.readouterr().out
    assert main(["shop", "import", "tea", str(renamed), *db]) == 0  # the same name again: nothing said
    assert "renamed" not in capsys.readouterr().out

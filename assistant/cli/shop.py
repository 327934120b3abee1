"""`huashu shop create|import|export|list|delete`: shops and their knowledge, on the store directly
(also while a service runs on it: an import is one transaction the service sees whole). After a
create or an import, stderr says what serves the knowledge next, after a deletion when a running
service stops serving the shop (stdout is the line scripts read).

`huashu shop delete SHOP --yes` needs no token (the operator's `huashu admin shops delete` does):
whoever can write the store can delete from it. It never deletes the service's default shop."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.cli.counts import entries_said
from assistant.cli.defaults import INDEX_HELP
from assistant.cli.errors import CliError, os_reason
from assistant.cli.store_access import add_database_flag, database_url, run_on_store
from assistant.knowledge.files import SHOP_FILE
from assistant.service.home import service_home
from assistant.service.panel.bus import latest_keys
from assistant.service.redis_link import RedisDown, RedisLink
from assistant.service.settings import Settings, SettingsError
from assistant.service.shared_state import RedisConversations, RedisDeliveries, unlink_matching
from assistant.storage.migrate import redact
from assistant.storage.protocols import UnknownShop
from assistant.storage.shop_files import create_shop_from, export_knowledge, import_knowledge
from assistant.storage.sql_store import SqlStore
from assistant.suggest.rebuild import first_build_within_s
from assistant.suggest.shop_deletion import MemoryUnreachable, ShopDeletion, delete_shop_everywhere
from assistant.suggest.snapshots import shop_dir


def register(subparsers: Any) -> None:
    shop = subparsers.add_parser("shop", help="create shops, import or export their knowledge, list or delete them")
    actions = shop.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="a new shop with the knowledge of a folder")
    create.add_argument("shop", help="shop id: lowercase letters, digits, - and _")
    create.add_argument("--knowledge", type=Path, required=True, help="knowledge folder (the knowledge/ formats)")
    create.add_argument("--name", default=None, help="display name (default: shop.yaml's name, else the id)")
    add_database_flag(create)
    create.set_defaults(handler=run_create)

    replace = actions.add_parser("import", help="replace a shop's knowledge with a folder (all validated first)")
    replace.add_argument("shop")
    replace.add_argument("folder", type=Path, help="knowledge folder")
    add_database_flag(replace)
    replace.set_defaults(handler=run_import)

    export = actions.add_parser("export", help="write a shop's knowledge back as files")
    export.add_argument("shop")
    export.add_argument("folder", type=Path, help="folder to write (created; other files are left alone)")
    add_database_flag(export)
    export.set_defaults(handler=run_export)

    listing = actions.add_parser("list", help="every shop with its knowledge revision and active snapshot")
    add_database_flag(listing)
    listing.set_defaults(handler=run_list)

    delete = actions.add_parser(
        "delete", help="delete a shop: its knowledge, snapshots, jobs, tokens, history and index folder"
    )
    delete.add_argument("shop")
    delete.add_argument("--yes", action="store_true", help="confirm: the shop and all it holds go for good")
    delete.add_argument(
        "--index", type=Path, default=None, help=f"the shops' snapshots, as the service's; {INDEX_HELP}"
    )
    add_database_flag(delete)
    delete.set_defaults(handler=run_delete)


def _folder(path: Path) -> Path:
    if not path.is_dir():
        raise CliError(f"{path}: {'is a file, not a' if path.exists() else 'no such'} knowledge folder")
    return path


def next_step(shop: str, rows: int, active: str | None, within_s: float) -> str:
    """What serves `shop`'s knowledge now that the CLI wrote it to the store (said on stderr: the
    stdout line is for scripts). A service starts building a shop with no snapshot by itself
    within `within_s` (`Rebuilder.build_unbuilt`; 0: it does not), but never replaces an active
    snapshot unasked."""
    rebuild = f"huashu admin rebuild {shop}"
    if active is not None:
        return f"shop {shop}: the service keeps serving snapshot {active} until `{rebuild}` builds this knowledge"
    if rows == 0:
        return f"shop {shop}: no knowledge, nothing to build yet (`huashu shop import {shop} DIR` adds some)"
    if within_s <= 0:
        return f"shop {shop}: not built yet: run `{rebuild}` (the service's HUASHU_INDEX_POLL_S=0: it waits)"
    return (
        f"shop {shop}: not built yet: a service running on this store starts building it within {within_s:g} s "
        f"(a stopped one once it runs); `{rebuild}` builds it now with a progress bar"
    )


def _within_s() -> float:
    """How soon a service started in this environment (as `huashu serve` reads it) builds a new shop."""
    try:
        poll_s = Settings.from_env(os.environ, home=service_home()).index_poll_s
    except SettingsError:
        poll_s = Settings().index_poll_s
    return first_build_within_s(poll_s)


def run_create(args: argparse.Namespace) -> int:
    folder = _folder(args.knowledge)

    async def work(store: SqlStore) -> tuple[str, str]:
        record, revision = await create_shop_from(store, args.shop, folder, args.name)
        stored = await store.knowledge_rows(record.shop)
        rows = len(stored)
        held = entries_said(sum(1 for r in stored if r.entry_id), rows)
        created = f"shop {record.shop} ({record.name}) created from {folder}/: {held}, knowledge revision {revision}"
        return created, next_step(record.shop, rows, None, _within_s())

    created, step = run_on_store(args, work)
    print(created)
    print(step, file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    folder = _folder(args.folder)
    if not (folder / SHOP_FILE).is_file():
        # a user test imported a folder holding only promotions.yaml: 188 FAQs were gone
        raise CliError(
            f"{folder}/ has no {SHOP_FILE}: `huashu shop import` replaces the shop's whole knowledge with the "
            "folder's; import a whole shop's folder, or change some files with `huashu admin knowledge upload`"
        )

    async def work(store: SqlStore) -> tuple[str, str]:
        count, revision, was = await import_knowledge(store, args.shop, folder)
        active = await store.active_snapshot(args.shop)
        held = entries_said(sum(1 for r in await store.knowledge_rows(args.shop) if r.entry_id), count)
        replaced = f"shop {args.shop}: knowledge replaced from {folder}/: {held}, knowledge revision {revision}"
        if was is not None:
            record = await store.shop(args.shop)
            name = record.name if record is not None else "?"
            replaced += f"\nshop {args.shop} renamed: {was} -> {name} (the name in its shop.yaml)"
        if active is not None and active.knowledge_revision == revision:  # the same knowledge again
            return replaced, f"shop {args.shop}: snapshot {active.version} already serves this knowledge"
        return replaced, next_step(args.shop, count, active.version if active else None, _within_s())

    replaced, step = run_on_store(args, work)
    print(replaced)
    print(step, file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    if args.folder.exists() and not args.folder.is_dir():
        raise CliError(f"{args.folder}: is a file, not a folder to write the knowledge to")

    async def work(store: SqlStore) -> tuple[list[Path], int]:
        try:
            return await export_knowledge(store, args.shop, args.folder)
        except OSError as exc:
            raise CliError(f"{exc.filename or args.folder}: cannot write: {os_reason(exc)}") from None

    written, files = run_on_store(args, work, read_only=True)
    same = files - len(written)
    kept = f" ({same} unchanged, left as they were)" if same else ""
    print(f"shop {args.shop}: {len(written)} files written to {args.folder}/{kept}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def work(store: SqlStore) -> list[str]:
        lines = []
        for shop in await store.shops():
            active = await store.active_snapshot(shop.shop)
            revision = await store.knowledge_revision(shop.shop)
            stale = " (stale)" if active and active.knowledge_revision != revision else ""
            snapshot = f"{active.version}{stale}" if active else "none"
            lines.append(f"{shop.shop}\t{shop.name}\trevision {revision}\tsnapshot {snapshot}")
        return lines

    lines = run_on_store(args, work, read_only=True)
    print("\n".join(lines) if lines else "no shops yet (huashu shop create SHOP --knowledge DIR)")
    return 0


def _service_settings() -> Settings:
    """The settings a service started in this environment has (as `huashu serve` reads them)."""
    try:
        return Settings.from_env(os.environ, home=service_home())
    except SettingsError as exc:
        raise CliError(str(exc)) from exc


def served_until(shop: str, poll_s: float) -> str:
    """When a service running on the store stops serving a shop the CLI deleted: its tokens fail
    at once (every request checks the store); a snapshot it has loaded is dropped when its index
    poll (`ShopRegistry.refresh`, every `HUASHU_INDEX_POLL_S`) finds the shop gone."""
    if poll_s <= 0:
        return (
            f"shop {shop}: its tokens no longer work; a service running on this store with HUASHU_INDEX_POLL_S=0 "
            "never polls: it may serve the snapshot it loaded until it restarts"
        )
    return (
        f"shop {shop}: its tokens no longer work; a service running on this store stops serving it at its next "
        f"index poll, within {poll_s:g} s (HUASHU_INDEX_POLL_S)"
    )


def deleted_line(shop: str, deletion: ShopDeletion, folder: Path) -> str:
    rows = ", ".join(f"{table} {count}" for table, count in deletion.rows.items())
    if deletion.files is None:
        files = f"no folder at {folder}/"
    else:
        files = f"{deletion.files} {'file' if deletion.files == 1 else 'files'} removed with {folder}/"
    if deletion.conversations is not None:  # HUASHU_REDIS_URL: the service's memory, shared in Redis
        files += f"; {deletion.conversations} conversations forgotten in Redis"
    return f"shop {shop} deleted: {rows}; {files}"


class RedisMemory:
    """The conversation memory of the service in Redis (`HUASHU_REDIS_URL`), for `huashu shop
    delete` to forget the deleted shop's conversations: reached after the store, through a
    `RedisLink` (each SCAN step bounded by `REDIS_TIMEOUT_S`); one that does not answer, or stops
    answering midway, leaves the rest to expire, and the deletion's `conversations_left` says why
    and `MemoryUnreachable.forgotten` how many went (`FallbackConversations.forget_shop` alike)."""

    REDIS_TIMEOUT_S = 5.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.link = RedisLink(settings.redis_url, self.REDIS_TIMEOUT_S)

    async def forget_shop(self, shop: str) -> int:
        s = self.settings
        memory = RedisConversations(self.link.client, s.conversation_ttl_s, s.conversation_turns)
        # and the panels' latest events and the deliveries seen (`delete_shop_everywhere`)
        traces = [latest_keys(shop), *RedisDeliveries(self.link.client).shop_keys(shop)]
        steps: list[int] = []  # each SCAN step's count: Redis may fail midway, as in the service
        forgotten: int | None = None
        try:
            if not await self.link.check():
                raise RedisDown(self.link.problem)
            forgotten = await memory.forget_shop(shop, run=self.link.run, counted=steps.append)
            await unlink_matching(self.link.client, traces, run=self.link.run)
            return forgotten
        except RedisDown:
            where, problem = self.link.where, self.link.problem
            if forgotten is None:  # failed among the conversations
                gone = sum(steps)
                raise MemoryUnreachable(gone, memory.left(where, problem, some=gone > 0)) from None
            left = (
                f"its panels' latest events and deliveries seen in Redis at {where} were not forgotten "
                f"({problem}): they expire by their time-to-live"
            )
            raise MemoryUnreachable(forgotten, left) from None
        finally:
            await self.link.close()


def run_delete(args: argparse.Namespace) -> int:
    settings = _service_settings()
    if args.shop == settings.default_shop:
        raise CliError(
            f"shop {args.shop} is the default shop the service serves (HUASHU_DEFAULT_SHOP={settings.default_shop}: "
            "requests naming no shop act for it, and a service imports knowledge/ as it again at its next start): "
            "it is kept",
            exit_code=1,
        )
    if not args.yes:
        raise CliError(
            f"deleting shop {args.shop} removes its knowledge, snapshots, jobs, tokens, history and index folder "
            "for good: pass --yes to confirm"
        )
    index = Path(args.index) if args.index is not None else settings.index_dir
    memory = RedisMemory(settings) if settings.redis_url else None

    async def work(store: SqlStore) -> ShopDeletion:
        try:
            return await delete_shop_everywhere(store, index, args.shop, memory)
        except UnknownShop:
            raise CliError(
                f"no shop {args.shop!r} in {redact(database_url(args))}: nothing deleted (huashu shop list)",
                exit_code=1,
            ) from None

    deletion = run_on_store(args, work, read_only=True)
    left = deletion.conversations_left
    if left and not deletion.conversations:  # Redis did not answer: nothing was forgotten there
        deletion = replace(deletion, conversations=None)
    print(deleted_line(args.shop, deletion, shop_dir(index, args.shop)))
    print(served_until(args.shop, settings.index_poll_s), file=sys.stderr)
    if left:
        print(f"shop {args.shop}: {left}", file=sys.stderr)
    return 0

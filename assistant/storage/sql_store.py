"""`SqlStore`: every protocol of `protocols.py` over one `Database` (SQLite or PostgreSQL).

The statements are written once (portable SQL, `?` placeholders). Every write is one
transaction, retried while the database is busy; every read and write names its shop, so no
call returns or changes another shop's rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from typing import Any, cast

from assistant.storage.database import Database, Row, Transaction, retry_busy
from assistant.storage.protocols import (
    SHOP_ID,
    JobRecord,
    KnowledgeRow,
    Role,
    ShopExists,
    ShopRecord,
    SnapshotRecord,
    StoreError,
    TokenRecord,
    UnknownJob,
    UnknownShop,
    UnknownSnapshot,
    revision_of,
)
from assistant.storage.record_tables import RecordTables

TOKEN_PREFIX = "huashu_"
ROLES = ("admin", "agent")
JOB_STATES = ("queued", "running", "done", "failed")
_JOB_FIELDS = ("state", "progress", "counts", "version", "error", "knowledge_revision", "rows", "resumed_as")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _row_data(data: dict[str, Any]) -> str:
    """A knowledge row's data as JSON in its own key order (exported files keep the field order)."""
    return json.dumps(data, ensure_ascii=False, default=str)


def _shop(row: Row) -> ShopRecord:
    return ShopRecord(row[0], row[1], json.loads(row[2]), row[3])


def _snapshot(row: Row) -> SnapshotRecord:
    return SnapshotRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], bool(row[5]), bool(row[6]))


def _job(row: Row) -> JobRecord:
    state = cast(Any, row[3])
    version, error, created_at, updated_at, owner, heartbeat_at, revision, rows, resumed_as = row[6:15]
    return JobRecord(
        row[0], row[1], row[2], state, float(row[4]), json.loads(row[5]), version, error, created_at, updated_at,
        owner, heartbeat_at, revision, int(rows), resumed_as,
    )  # fmt: skip


_SHOP = "SELECT shop, name, settings, created_at FROM shops"
_SNAPSHOT = "SELECT shop, version, built_at, counts, knowledge_revision, active, pinned FROM snapshots"
_JOB = (
    "SELECT id, shop, kind, state, progress, counts, version, error, created_at, updated_at, owner, heartbeat_at, "
    "knowledge_revision, rows, resumed_as FROM jobs"
)
_UNFINISHED = "state IN ('queued', 'running')"
_ROWS = "SELECT file, position, entry_id, data FROM knowledge_rows WHERE shop=? ORDER BY file, position"


# Every table holding a shop's rows, those that reference `shops` among them: `delete_shop` empties
# them all (a table added later belongs here, or its rows outlive their shop).
_SHOP_TABLES = (
    "knowledge_rows", "snapshots", "jobs", "tokens",
    "messages", "suggestions", "feedback", "answers", "reply_outcomes",
)  # fmt: skip
_TOKEN = "SELECT id, shop, role, created_at, name FROM tokens"


def _token(row: Row) -> TokenRecord:
    return TokenRecord(row[0], row[1], row[2], row[3], row[4])


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SqlStore(RecordTables):
    """Shops, knowledge, snapshot pointers, jobs, tokens and conversation records in one database."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.database = database

    @property
    def url(self) -> str:
        return self.database.url

    async def open(self) -> None:
        await self.database.open()

    async def close(self) -> None:
        await self.database.close()

    # -- shops ---------------------------------------------------------------------------

    async def create_shop(self, shop: str, name: str, settings: dict[str, Any] | None = None) -> ShopRecord:
        if not SHOP_ID.match(shop):
            raise StoreError(f"shop {shop!r} is not a valid id (lowercase letters, digits, - and _; at most 63)")
        record = ShopRecord(shop, name or shop, dict(settings or {}), now())

        async def work(tx: Transaction) -> None:
            created = await tx.execute(
                "INSERT INTO shops (shop, name, settings, knowledge_revision, created_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT (shop) DO NOTHING",
                (shop, record.name, dumps(record.settings), revision_of([]), record.created_at),
            )
            if not created:
                raise ShopExists(f"shop {shop!r} already exists")

        await retry_busy(self.database, work)
        return record

    async def shop(self, shop: str) -> ShopRecord | None:
        rows = await self.database.fetch(f"{_SHOP} WHERE shop=?", (shop,))
        return _shop(rows[0]) if rows else None

    async def shops(self) -> list[ShopRecord]:
        return [_shop(r) for r in await self.database.fetch(f"{_SHOP} ORDER BY shop")]

    async def update_shop_settings(self, shop: str, settings: dict[str, Any]) -> ShopRecord:
        """Merge `settings` into the shop's; a key set to None is removed."""

        async def work(tx: Transaction) -> ShopRecord:
            rows = await tx.fetch(f"{_SHOP} WHERE shop=?", (shop,))
            if not rows:
                raise UnknownShop(f"no shop {shop!r}")
            merged = {**_shop(rows[0]).settings, **settings}
            merged = {k: v for k, v in merged.items() if v is not None}
            await tx.execute("UPDATE shops SET settings=? WHERE shop=?", (dumps(merged), shop))
            return ShopRecord(shop, rows[0][1], merged, rows[0][3])

        return await retry_busy(self.database, work)

    async def rename_shop(self, shop: str, name: str) -> ShopRecord:
        if not name.strip():
            raise StoreError("a shop's name cannot be empty")

        async def work(tx: Transaction) -> ShopRecord:
            if not await tx.execute("UPDATE shops SET name=? WHERE shop=?", (name.strip(), shop)):
                raise UnknownShop(f"no shop {shop!r}")
            return _shop((await tx.fetch(f"{_SHOP} WHERE shop=?", (shop,)))[0])

        return await retry_busy(self.database, work)

    async def delete_shop(self, shop: str) -> dict[str, int]:
        async def work(tx: Transaction) -> dict[str, int]:
            await self._locked_shop(tx, shop)  # a knowledge change or build of the shop waits, then finds none
            deleted = {table: await tx.execute(f"DELETE FROM {table} WHERE shop=?", (shop,)) for table in _SHOP_TABLES}
            await tx.execute("DELETE FROM shops WHERE shop=?", (shop,))
            return deleted

        return await retry_busy(self.database, work)

    async def _require_shop(self, shop: str) -> None:
        if not await self.database.fetch("SELECT 1 FROM shops WHERE shop=?", (shop,)):
            raise UnknownShop(f"no shop {shop!r}")

    # -- knowledge -----------------------------------------------------------------------

    async def knowledge_rows(self, shop: str) -> list[KnowledgeRow]:
        await self._require_shop(shop)
        return [KnowledgeRow(f, p, e, json.loads(d)) for f, p, e, d in await self.database.fetch(_ROWS, (shop,))]

    async def entries_changed_since(self, shop: str, since: str) -> frozenset[str]:
        await self._require_shop(shop)
        rows = await self.database.fetch(
            "SELECT entry_id FROM knowledge_rows WHERE shop=? AND entry_id <> '' AND changed_at >= ?", (shop, since)
        )
        return frozenset(str(r[0]) for r in rows)

    async def knowledge_revision(self, shop: str) -> str:
        rows = await self.database.fetch("SELECT knowledge_revision FROM shops WHERE shop=?", (shop,))
        if not rows:
            raise UnknownShop(f"no shop {shop!r}")
        return str(rows[0][0])

    @staticmethod
    async def _locked_shop(tx: Transaction, shop: str) -> None:
        """Take the shop's row lock (PostgreSQL; SQLite's writer is alone anyway) for the rest of
        the transaction, so changes to one shop's knowledge or snapshots never interleave."""
        if not await tx.execute("UPDATE shops SET knowledge_revision=knowledge_revision WHERE shop=?", (shop,)):
            raise UnknownShop(f"no shop {shop!r}")

    @staticmethod
    async def _new_revision(tx: Transaction, shop: str) -> str:
        rows = [KnowledgeRow(f, p, e, json.loads(d)) for f, p, e, d in await tx.fetch(_ROWS, (shop,))]
        revision = revision_of(rows)
        await tx.execute("UPDATE shops SET knowledge_revision=? WHERE shop=?", (revision, shop))
        return revision

    async def replace_knowledge(self, shop: str, rows: list[KnowledgeRow]) -> str:
        places = {(r.file, r.position) for r in rows}
        ids = [r.entry_id for r in rows if r.entry_id]
        if len(places) != len(rows):
            raise StoreError("two rows share a file and position")
        if len(set(ids)) != len(ids):
            raise StoreError("two rows share an entry id")

        async def work(tx: Transaction) -> str:
            await self._locked_shop(tx, shop)
            before = await tx.fetch("SELECT entry_id, data, changed_at FROM knowledge_rows WHERE shop=?", (shop,))
            # a row uploaded again as it was keeps the time it was last changed; a shop's first
            # knowledge has no time (it is the library the shop starts with, judged from day one)
            kept = {(entry, data): at for entry, data, at in before if entry}
            at = now() if any(entry for entry, _, _ in before) else ""
            await tx.execute("DELETE FROM knowledge_rows WHERE shop=?", (shop,))
            await tx.executemany(
                "INSERT INTO knowledge_rows (shop, file, position, entry_id, data, changed_at) VALUES (?,?,?,?,?,?)",
                [
                    (shop, r.file, r.position, r.entry_id, data, kept.get((r.entry_id, data), at))
                    for r in rows
                    for data in (_row_data(r.data),)
                ],
            )
            return await self._new_revision(tx, shop)

        return await retry_busy(self.database, work)

    async def put_row(self, shop: str, row: KnowledgeRow) -> str:
        if not row.entry_id:
            raise StoreError("a row put by id needs an entry id")

        async def work(tx: Transaction) -> str:
            await self._locked_shop(tx, shop)
            data = _row_data(row.data)
            old = await tx.fetch(
                "SELECT data, changed_at FROM knowledge_rows WHERE shop=? AND entry_id=?", (shop, row.entry_id)
            )
            at = old[0][1] if old and old[0][0] == data else now()  # only moved: not changed
            await tx.execute("DELETE FROM knowledge_rows WHERE shop=? AND entry_id=?", (shop, row.entry_id))
            position = row.position
            if position < 0:
                last = await tx.fetch(
                    "SELECT MAX(position) FROM knowledge_rows WHERE shop=? AND file=?", (shop, row.file)
                )
                position = 0 if last[0][0] is None else int(last[0][0]) + 1
            taken = await tx.fetch(
                "SELECT entry_id FROM knowledge_rows WHERE shop=? AND file=? AND position=?", (shop, row.file, position)
            )
            if taken:
                raise StoreError(f"{row.file} position {position} holds entry {taken[0][0]!r}")
            await tx.execute(
                "INSERT INTO knowledge_rows (shop, file, position, entry_id, data, changed_at) VALUES (?,?,?,?,?,?)",
                (shop, row.file, position, row.entry_id, data, at),
            )
            return await self._new_revision(tx, shop)

        return await retry_busy(self.database, work)

    async def delete_row(self, shop: str, entry_id: str) -> str | None:
        async def work(tx: Transaction) -> str | None:
            await self._locked_shop(tx, shop)
            if not entry_id or not await tx.execute(
                "DELETE FROM knowledge_rows WHERE shop=? AND entry_id=?", (shop, entry_id)
            ):
                return None
            return await self._new_revision(tx, shop)

        return await retry_busy(self.database, work)

    # -- snapshots -----------------------------------------------------------------------

    async def add_snapshot(self, record: SnapshotRecord) -> None:
        async def work(tx: Transaction) -> None:
            await self._locked_shop(tx, record.shop)  # one snapshot change per shop at a time
            if await tx.fetch("SELECT 1 FROM snapshots WHERE shop=? AND version=?", (record.shop, record.version)):
                raise StoreError(f"shop {record.shop!r} already has snapshot {record.version!r}")
            if record.active:
                await tx.execute("UPDATE snapshots SET active=0 WHERE shop=? AND active=1", (record.shop,))
            await tx.execute(
                "INSERT INTO snapshots (shop, version, built_at, counts, knowledge_revision, active, pinned) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    record.shop,
                    record.version,
                    record.built_at,
                    dumps(record.counts),
                    record.knowledge_revision,
                    int(record.active),
                    int(record.pinned),
                ),
            )

        await retry_busy(self.database, work)

    async def snapshots(self, shop: str) -> list[SnapshotRecord]:
        """A shop's snapshots, newest first."""
        await self._require_shop(shop)
        rows = await self.database.fetch(f"{_SNAPSHOT} WHERE shop=? ORDER BY built_at DESC, version DESC", (shop,))
        return [_snapshot(r) for r in rows]

    async def active_snapshot(self, shop: str) -> SnapshotRecord | None:
        rows = await self.database.fetch(f"{_SNAPSHOT} WHERE shop=? AND active=1", (shop,))
        return _snapshot(rows[0]) if rows else None

    @staticmethod
    async def _snapshot_in(tx: Transaction, shop: str, version: str) -> SnapshotRecord:
        rows = await tx.fetch(f"{_SNAPSHOT} WHERE shop=? AND version=?", (shop, version))
        if not rows:
            raise UnknownSnapshot(f"shop {shop!r} has no snapshot {version!r}")
        return _snapshot(rows[0])

    async def activate(self, shop: str, version: str) -> SnapshotRecord:
        async def work(tx: Transaction) -> SnapshotRecord:
            await self._locked_shop(tx, shop)
            await self._snapshot_in(tx, shop, version)
            await tx.execute("UPDATE snapshots SET active=0 WHERE shop=? AND active=1", (shop,))
            await tx.execute("UPDATE snapshots SET active=1 WHERE shop=? AND version=?", (shop, version))
            return await self._snapshot_in(tx, shop, version)

        return await retry_busy(self.database, work)

    async def pin(self, shop: str, version: str, pinned: bool = True) -> SnapshotRecord:
        async def work(tx: Transaction) -> SnapshotRecord:
            await self._snapshot_in(tx, shop, version)
            await tx.execute("UPDATE snapshots SET pinned=? WHERE shop=? AND version=?", (int(pinned), shop, version))
            return await self._snapshot_in(tx, shop, version)

        return await retry_busy(self.database, work)

    async def remove_snapshot(self, shop: str, version: str) -> None:
        async def work(tx: Transaction) -> None:
            snapshot = await self._snapshot_in(tx, shop, version)
            if snapshot.active or snapshot.pinned:
                why = "active" if snapshot.active else "pinned"
                raise StoreError(f"snapshot {version!r} of shop {shop!r} is {why}; it is kept")
            await tx.execute("DELETE FROM snapshots WHERE shop=? AND version=?", (shop, version))

        await retry_busy(self.database, work)

    # -- jobs ----------------------------------------------------------------------------

    async def create_job(self, shop: str, kind: str, owner: str = "") -> JobRecord:
        async def work(tx: Transaction) -> JobRecord:
            if not await tx.fetch("SELECT 1 FROM shops WHERE shop=?", (shop,)):
                raise UnknownShop(f"no shop {shop!r}")
            return await self._insert_job(tx, shop, kind, owner)

        return await retry_busy(self.database, work)

    async def claim_job(self, shop: str, kind: str, owner: str, after: str | None) -> JobRecord | None:
        async def work(tx: Transaction) -> JobRecord | None:
            await self._locked_shop(tx, shop)  # two replicas claiming at once: the second waits, then sees the first
            latest = await tx.fetch("SELECT id FROM jobs WHERE shop=? ORDER BY created_at DESC, id LIMIT 1", (shop,))
            if (latest[0][0] if latest else None) != after:
                return None
            return await self._insert_job(tx, shop, kind, owner)

        return await retry_busy(self.database, work)

    @staticmethod
    async def _insert_job(tx: Transaction, shop: str, kind: str, owner: str) -> JobRecord:
        at = now()
        record = JobRecord(
            uuid.uuid4().hex, shop, kind, "queued", created_at=at, updated_at=at, owner=owner, heartbeat_at=at
        )
        await tx.execute(
            "INSERT INTO jobs (id, shop, kind, state, progress, counts, version, error, created_at, updated_at, "
            "owner, heartbeat_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (record.id, shop, kind, "queued", 0.0, "{}", None, None, at, at, owner, at),
        )
        return record

    async def unbuilt_shops(self) -> list[str]:
        rows = await self.database.fetch(
            "SELECT shop FROM shops s WHERE EXISTS (SELECT 1 FROM knowledge_rows k WHERE k.shop = s.shop) "
            "AND NOT EXISTS (SELECT 1 FROM snapshots n WHERE n.shop = s.shop AND n.active = 1) ORDER BY shop"
        )
        return [str(r[0]) for r in rows]

    async def update_job(self, job_id: str, **changes: Any) -> JobRecord:
        unknown = set(changes) - set(_JOB_FIELDS)
        if unknown:
            raise StoreError(f"a job has no field(s) {', '.join(sorted(unknown))}")
        if "state" in changes and changes["state"] not in JOB_STATES:
            raise StoreError(f"job state {changes['state']!r} is not one of {', '.join(JOB_STATES)}")
        values = {k: dumps(v) if k == "counts" else float(v) if k == "progress" else v for k, v in changes.items()}
        assignments = ", ".join(f"{k}=?" for k in values)

        async def work(tx: Transaction) -> JobRecord:
            changed = await tx.execute(
                f"UPDATE jobs SET {assignments}{', ' if values else ''}updated_at=? WHERE id=?",
                (*values.values(), now(), job_id),
            )
            if not changed:
                raise UnknownJob(f"no job {job_id!r}")
            return _job((await tx.fetch(f"{_JOB} WHERE id=?", (job_id,)))[0])

        return await retry_busy(self.database, work)

    async def job(self, job_id: str) -> JobRecord | None:
        rows = await self.database.fetch(f"{_JOB} WHERE id=?", (job_id,))
        return _job(rows[0]) if rows else None

    async def jobs(self, shop: str, limit: int = 50) -> list[JobRecord]:
        rows = await self.database.fetch(f"{_JOB} WHERE shop=? ORDER BY created_at DESC, id LIMIT ?", (shop, limit))
        return [_job(r) for r in rows]

    async def unfinished_jobs(self, owner: str) -> list[JobRecord]:
        rows = await self.database.fetch(f"{_JOB} WHERE owner=? AND {_UNFINISHED} ORDER BY created_at, id", (owner,))
        return [_job(r) for r in rows]

    async def beat_jobs(self, owner: str) -> int:
        if not owner:
            return 0

        async def work(tx: Transaction) -> int:
            return await tx.execute(f"UPDATE jobs SET heartbeat_at=? WHERE owner=? AND {_UNFINISHED}", (now(), owner))

        return await retry_busy(self.database, work)

    async def fail_abandoned_jobs(self, lease_s: float, error: str) -> list[JobRecord]:
        beat_before = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=lease_s)).isoformat(timespec="milliseconds")

        async def work(tx: Transaction) -> list[JobRecord]:
            found = await tx.fetch(f"SELECT id FROM jobs WHERE {_UNFINISHED} AND heartbeat_at < ?", (beat_before,))
            failed = []
            for (job_id,) in found:  # the same condition again: a job renewed or finished meanwhile is kept
                if await tx.execute(
                    f"UPDATE jobs SET state='failed', error=?, updated_at=? WHERE id=? AND {_UNFINISHED} "
                    "AND heartbeat_at < ?",
                    (error, now(), job_id, beat_before),
                ):
                    failed.append(_job((await tx.fetch(f"{_JOB} WHERE id=?", (job_id,)))[0]))
            return failed

        return await retry_busy(self.database, work)

    # -- tokens --------------------------------------------------------------------------

    async def create_token(self, shop: str, role: Role, name: str = "") -> tuple[TokenRecord, str]:
        if role not in ROLES:
            raise StoreError(f"role {role!r} is not one of {', '.join(ROLES)}")
        token_id = secrets.token_hex(6)
        secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        record = TokenRecord(token_id, shop, role, now(), name)

        async def work(tx: Transaction) -> None:
            if not await tx.fetch("SELECT 1 FROM shops WHERE shop=?", (shop,)):
                raise UnknownShop(f"no shop {shop!r}")
            await tx.execute(
                "INSERT INTO tokens (id, shop, role, secret_sha256, created_at, name) VALUES (?,?,?,?,?,?)",
                (token_id, shop, role, _secret_hash(secret), record.created_at, name),
            )

        await retry_busy(self.database, work)
        return record, secret

    async def verify_token(self, secret: str) -> TokenRecord | None:
        if not secret.startswith(TOKEN_PREFIX):
            return None
        rows = await self.database.fetch(f"{_TOKEN} WHERE secret_sha256=?", (_secret_hash(secret),))
        return _token(rows[0]) if rows else None

    async def has_tokens(self) -> bool:
        return bool(await self.database.fetch("SELECT 1 FROM tokens LIMIT 1"))

    async def tokens(self, shop: str) -> list[TokenRecord]:
        rows = await self.database.fetch(f"{_TOKEN} WHERE shop=? ORDER BY created_at, id", (shop,))
        return [_token(r) for r in rows]

    async def revoke_token(self, shop: str, token_id: str) -> bool:
        async def work(tx: Transaction) -> bool:
            return await tx.execute("DELETE FROM tokens WHERE shop=? AND id=?", (shop, token_id)) > 0

        return await retry_busy(self.database, work)

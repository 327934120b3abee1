"""`huashu knowledge check|harvest`: validate the sources; harvest past replies from chat logs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.cli.errors import CliError
from assistant.knowledge.harvest import ChatLogError, harvest
from assistant.knowledge.loader import KnowledgeError, load_knowledge


def register(subparsers: Any) -> None:
    knowledge = subparsers.add_parser("knowledge", help="validate the knowledge base or harvest chat logs")
    actions = knowledge.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate every source file; list every problem as file:line")
    check.add_argument(
        "--knowledge", type=Path, default=Path("knowledge"), help="knowledge folder (default: knowledge/)"
    )
    check.set_defaults(handler=run_check)
    collect = actions.add_parser("harvest", help="candidate past replies from a JSONL chat log, for review")
    collect.add_argument("chats", type=Path, help="chat log: JSONL sessions with turns of role customer|agent")
    collect.add_argument(
        "--out", type=Path, default=Path("knowledge/candidates/harvested.jsonl"),
        help="where to write candidates (default: knowledge/candidates/harvested.jsonl, not loaded until moved)",
    )  # fmt: skip
    collect.add_argument("--limit", type=int, default=0, help="keep at most N candidates (0: all)")
    collect.set_defaults(handler=run_harvest)


def run_check(args: argparse.Namespace) -> int:
    try:
        kb = load_knowledge(args.knowledge)
    except KnowledgeError as exc:
        raise CliError(f"{len(exc.problems)} problem(s) in {args.knowledge}/\n" + "\n".join(exc.problems)) from exc
    counts = ", ".join(f"{kind} {n}" for kind, n in kb.counts().items())
    keys = sum(len(e.questions) for e in kb.entries)
    print(f"{args.knowledge}/ is valid: {len(kb.entries)} entries ({counts}); {keys} question keys")
    return 0


def run_harvest(args: argparse.Namespace) -> int:
    if not args.chats.is_file():
        raise CliError(f"{args.chats}: no such chat log")
    try:
        rows, stats = harvest(args.chats)
    except ChatLogError as exc:
        raise CliError(str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{args.chats}: cannot read ({exc})") from exc
    if args.limit > 0:
        rows = rows[: args.limit]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(args.out)
    dropped = ", ".join(f"{k} {v}" for k, v in stats.dropped.most_common())
    print(
        f"{stats.sessions} sessions, {stats.pairs} customer→agent pairs: wrote {len(rows)} candidates to {args.out}\n"
        f"dropped: {dropped or 'none'}"
    )
    return 0

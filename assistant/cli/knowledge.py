"""`huashu knowledge check|harvest`: validate the sources; harvest past replies from chat logs."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

from assistant.cli.defaults import KNOWLEDGE_HELP, knowledge_dir
from assistant.cli.errors import CliError, os_reason
from assistant.knowledge.calendar import print_season_notes
from assistant.knowledge.harvest import ChatLogError, harvest_chats
from assistant.knowledge.loader import KnowledgeError, load_knowledge
from assistant.learning.quick_replies import quick_reply_rows


def register(subparsers: Any) -> None:
    knowledge = subparsers.add_parser("knowledge", help="validate the knowledge base or harvest chat logs")
    actions = knowledge.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate every source file; list every problem as file:line")
    check.add_argument("--knowledge", type=Path, default=knowledge_dir(), help=KNOWLEDGE_HELP)
    check.set_defaults(handler=run_check)
    collect = actions.add_parser("harvest", help="candidate past replies from a JSONL chat log, for review")
    collect.add_argument("chats", type=Path, help="chat log: JSONL sessions with turns of role customer|agent")
    collect.add_argument(
        "--out", type=Path, default=Path("knowledge/candidates/harvested.jsonl"),
        help="where to write candidates (default: knowledge/candidates/harvested.jsonl, not loaded until moved)",
    )  # fmt: skip
    collect.add_argument(
        "--quick-out", type=Path, default=None,
        help="where to write the learned quick replies (default: quick_replies.jsonl beside --out)",
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
    print_season_notes(kb.entries)
    return 0


def run_harvest(args: argparse.Namespace) -> int:
    if not args.chats.is_file():
        raise CliError(f"{args.chats}: {'is a folder, not a' if args.chats.is_dir() else 'no such'} chat log")
    try:
        result = harvest_chats(args.chats)
    except ChatLogError as exc:
        raise CliError(str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{args.chats}: cannot read ({exc})") from exc
    rows, stats = result.rows, result.stats
    if args.limit > 0:
        rows = rows[: args.limit]
    quick_out = args.quick_out or args.out.with_name("quick_replies.jsonl")
    quick = quick_reply_rows(result.quick)
    _write_jsonl(args.out, rows)
    _write_jsonl(quick_out, quick)
    dropped = ", ".join(f"{k} {v}" for k, v in stats.dropped.most_common())
    print(
        f"{stats.sessions} sessions, {stats.pairs} customer→agent pairs: wrote {len(rows)} candidates to {args.out}\n"
        f"not candidates: {dropped or 'none'}\n"
        f"{len(quick)} quick replies (the short replies and closings agents send most) to {quick_out}"
    )
    return 0


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise CliError(f"{path}: cannot write: {os_reason(exc)}") from None

"""`huashu candidates list|approve|reject|rule --shop SHOP`: review the replies agents wrote where
the library had nothing (or that rewrote a suggestion heavily), on the store directly.

Working on the store, the CLI cannot start a running service's rebuild: an approval says to run
`huashu admin rebuild SHOP`, or to approve through the service (`huashu admin candidates`, whose
approval starts the rebuild and waits for it)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from assistant.cli.errors import CliError
from assistant.cli.store_access import add_database_flag, run_on_store
from assistant.learning import candidate_review as review
from assistant.learning.faq_drafts import FaqDraft
from assistant.learning.shop_candidates import ShopCandidate
from assistant.service.auto_approval import RULE_DAYS, SETTING, auto_approve_rule
from assistant.storage.sql_store import SqlStore


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("candidates", help="review candidate replies learned from what agents sent")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="the shop's candidates, most sent first")
    listing.add_argument("--status", choices=("pending", "approved", "rejected", "all"), default="pending")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")

    approve = actions.add_parser("approve", help="publish a candidate as a FAQ entry (optionally edited)")
    approve.add_argument("candidate", nargs="?", help="the candidate's id (from list)")
    approve.add_argument("--reply", help="the reply as it should be published (default: as agents sent it)")
    approve.add_argument("--question", help="the entry's question (default: the first customer wording)")
    approve.add_argument(
        "--stage",
        choices=("pre_sale", "in_sale", "after_sale"),
        default=None,
        help="the entry's stage (default: the candidate's own, as list shows it: inferred from the entries it "
        "rewrote or its customers' wordings are closest to, else pre_sale)",
    )
    approve.add_argument(
        "--replaces",
        metavar="ENTRY",
        help="for a heavy edit: replace the answer of ENTRY (the entry it rewrote, from list) with the reply, "
        "keeping its id, wordings, tags and file, instead of adding a new entry",
    )
    approve.add_argument(
        "--auto", type=int, metavar="N", help="instead: approve every pending candidate sent by N different agents"
    )

    reject = actions.add_parser("reject", help="never propose a candidate again")
    reject.add_argument("candidate", help="the candidate's id (from list)")

    rule = actions.add_parser("rule", help="show or set the N-agents rule a running service applies on its own")
    choice = rule.add_mutually_exclusive_group()
    choice.add_argument("--agents", type=int, metavar="N", help="approve replies sent by N different agents")
    choice.add_argument("--off", action="store_true", help="turn the rule off (the default)")

    for action in (listing, approve, reject, rule):
        action.add_argument("--shop", required=True, help="the shop's id")
        action.add_argument("--days", type=int, default=30, help="records of the last N days (default: 30)")
        add_database_flag(action)
    listing.set_defaults(handler=run_list)
    approve.set_defaults(handler=run_approve)
    reject.set_defaults(handler=run_reject)
    rule.set_defaults(handler=run_rule)


def _days(args: argparse.Namespace) -> int:
    if not 1 <= args.days <= 365:
        raise CliError(f"--days must be from 1 to 365, not {args.days}")
    return int(args.days)


def _describe(c: ShopCandidate) -> str:
    lines = [f"{c.id}  [{c.status}] {c.source}; stage {c.stage}", f"    reply: {c.reply}"]
    lines += [f"    asked: {w}" for w in c.wordings[:3]]
    lines.append(f"    agents: {', '.join(c.agents)}; conversations: {', '.join(c.conversations)}")
    return "\n".join(lines)


def run_list(args: argparse.Namespace) -> int:
    days = _days(args)

    async def work(store: SqlStore) -> list[ShopCandidate]:
        return await review.list_candidates(store, args.shop, days)

    found = [c for c in run_on_store(args, work, read_only=True) if args.status in ("all", c.status)]
    if args.json:
        print(json.dumps([asdict(c) for c in found], ensure_ascii=False, indent=2))
    elif not found:
        print(f"no {'' if args.status == 'all' else args.status + ' '}candidates in the last {days} days")
    else:
        print("\n".join(_describe(c) for c in found))
    return 0


def run_approve(args: argparse.Namespace) -> int:
    days = _days(args)
    if (args.auto is None) == (args.candidate is None):
        raise CliError("give a candidate id or --auto N, not both or neither")
    if args.auto is not None and (args.auto < 1 or args.reply or args.question or args.replaces):
        raise CliError("--auto N needs N ≥ 1 and approves the replies as sent (no --reply, --question or --replaces)")
    chosen = FaqDraft(answer=args.reply, question=args.question, stage=args.stage)

    async def work(store: SqlStore) -> list[review.Approved]:
        try:
            if args.auto is not None:
                return await review.auto_approve(store, args.shop, args.auto, days)
            return [await review.approve(store, args.shop, args.candidate, days, chosen, args.replaces)]
        except review.NotRewritten as exc:
            raise CliError(f"--replaces: {exc}") from exc
        except ValueError as exc:
            raise CliError(f"--reply: {exc}") from exc

    done = run_on_store(args, work)
    for a in done:
        print(f"approved {a.candidate.id} as {a.entry['id']} in {a.file}: {a.entry['answer']}")
    if done:
        print(
            f"knowledge revision {done[-1].knowledge_revision}, written to the store; a service running on it "
            f"serves it after the shop's rebuild: huashu admin rebuild {args.shop} (or approve through the "
            f"service with huashu admin candidates approve {args.shop} ID, which waits for the rebuild)"
        )
    else:
        print(f"no pending candidate was sent by {args.auto} different agents")
    return 0


def run_reject(args: argparse.Namespace) -> int:
    days = _days(args)

    async def work(store: SqlStore) -> ShopCandidate:
        return await review.reject(store, args.shop, args.candidate, days)

    found = run_on_store(args, work)
    print(f"rejected {found.id}: {found.reply}")
    return 0


def run_rule(args: argparse.Namespace) -> int:
    """The shop setting `auto_approve_agents`, on the store: a service running on it applies the
    rule after the next agent's reply (it reads the setting on every pass)."""
    if args.agents is not None and args.agents < 1:
        raise CliError(f"--agents must be 1 or more, not {args.agents} (--off turns the rule off)")

    async def work(store: SqlStore) -> int | None:
        if await store.shop(args.shop) is None:
            raise CliError(f"no shop {args.shop!r}")
        if args.agents is not None or args.off:
            await store.update_shop_settings(args.shop, {SETTING: None if args.off else args.agents})
        record = await store.shop(args.shop)
        return auto_approve_rule(record.settings) if record is not None else None

    agents = run_on_store(args, work)
    if agents is None:
        print(f"shop {args.shop}: the N-agents rule is off")
    else:
        print(
            f"shop {args.shop}: a running service approves, after an agent's reply, every pending reply sent by "
            f"{agents} different agents in the last {RULE_DAYS} days, and rebuilds"
        )
    return 0

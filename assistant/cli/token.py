"""`huashu token create|list|revoke`: a shop's API tokens. The secret is printed once, alone on
stdout (what it is goes to stderr); the store keeps only its SHA-256."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from assistant.cli.errors import CliError
from assistant.cli.store_access import add_database_flag, run_on_store
from assistant.service.settings import Settings, SettingsError
from assistant.storage.protocols import TokenRecord
from assistant.storage.sql_store import SqlStore


def register(subparsers: Any) -> None:
    token = subparsers.add_parser("token", help="create, list or revoke a shop's tokens")
    actions = token.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="a new token, printed once")
    create.add_argument("--shop", required=True)
    create.add_argument("--role", required=True, choices=["admin", "agent"])
    add_database_flag(create)
    create.set_defaults(handler=run_create)
    listing = actions.add_parser("list", help="a shop's tokens (ids and roles, never secrets)")
    listing.add_argument("--shop", required=True)
    add_database_flag(listing)
    listing.set_defaults(handler=run_list)
    revoke = actions.add_parser("revoke", help="forget one of a shop's tokens")
    revoke.add_argument("--shop", required=True)
    revoke.add_argument("id", help="the token id (the part after huashu_)")
    add_database_flag(revoke)
    revoke.set_defaults(handler=run_revoke)


# Said when the store's first token is made: open access (no token needed on this machine) ends
# with it, for every shop (`service.auth.authenticate`), which an admin would not guess.
OPEN_ACCESS_ENDS = (
    "the store's first token: open access ends, so /v1/suggest, /v1/feedback and the panel now need "
    "a token too (an agent token per shop: huashu token create --shop SHOP --role agent; the "
    "webhooks keep their signatures)"
)


def open_access_ended(env: Mapping[str, str]) -> bool:
    """Had open access already ended for a service started from this environment (an operator
    token set, or open access switched off)? Then the first token ends nothing."""
    try:
        settings = Settings.from_env(env)
    except SettingsError:
        return False  # the service would not start with it either; say what a token does
    return not settings.open_access or bool(str(settings.admin_token))


def run_create(args: argparse.Namespace) -> int:
    async def work(store: SqlStore) -> tuple[TokenRecord, str, bool]:
        first = not await store.has_tokens()
        return (*await store.create_token(args.shop, args.role), first)

    record, secret, first = run_on_store(args, work)
    # The token alone on stdout, so `export HUASHU_TOKEN=$(huashu token create ...)` holds just it;
    # what it is (and what the first token changes) goes to stderr, for the person at the terminal.
    print(secret, flush=True)
    print(
        f"{args.role} token {record.id} of shop {record.shop}: shown once, keep it now",
        file=sys.stderr,
        flush=True,
    )
    if first and not open_access_ended(os.environ):
        print(OPEN_ACCESS_ENDS, file=sys.stderr, flush=True)
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def work(store: SqlStore) -> list[TokenRecord]:
        if await store.shop(args.shop) is None:
            raise CliError(f"no shop {args.shop!r}")
        return await store.tokens(args.shop)

    for record in run_on_store(args, work, read_only=True):
        print(f"{record.id}\t{record.role}\t{record.created_at}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    async def work(store: SqlStore) -> bool:
        return await store.revoke_token(args.shop, args.id)

    if not run_on_store(args, work):
        raise CliError(f"shop {args.shop} has no token {args.id}")
    print(f"token {args.id} of shop {args.shop} revoked")
    return 0

"""The `huashu` command: one module per command group, each adding its own sub-parsers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from assistant import __version__
from assistant.cli import (
    admin,
    candidates,
    eval_emotion,
    eval_gaps,
    eval_replay,
    eval_retrieval,
    index,
    knowledge,
    report,
    shop,
    store,
    suggest,
    token,
)
from assistant.cli import serve as serve_command
from assistant.cli.errors import CliError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huashu",
        description="Huashu (话术): reply suggestions and emotion cues for e-commerce customer service",
    )
    parser.add_argument("--version", action="version", version=f"huashu {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve_command.register(commands)
    index.register(commands)
    suggest.register(commands)
    knowledge.register(commands)
    shop.register(commands)
    token.register(commands)
    store.register(commands)
    report.register(commands)
    candidates.register(commands)
    admin.register(commands)
    evaluate = commands.add_parser("eval", help="measure retrieval or emotion quality on a data set")
    evaluations = evaluate.add_subparsers(dest="evaluation", metavar="WHAT", required=True)
    eval_retrieval.register(evaluations)
    eval_emotion.register(evaluations)
    eval_replay.register(evaluations)
    eval_gaps.register(evaluations)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: every command sets `handler` on its parser; a `CliError` prints one line."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except CliError as exc:
        print(f"huashu: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return code

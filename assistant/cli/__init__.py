"""The `huashu` command: one module per command group, each adding its own sub-parsers."""

from __future__ import annotations

import argparse
import os
import signal
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
    """Entry point: every command sets `handler` on its parser; a `CliError` prints one line.

    A reader that closes stdout early (`huashu ... | head -1`) ends the command quietly, as Unix
    tools do: no traceback, exit status 141 (128 + SIGPIPE); what the command already did (a
    token created, a shop imported) stays done."""
    try:
        code = run(argv)
        sys.stdout.flush()  # a pipe closed after the last print fails here, not at exit
    except BrokenPipeError:
        return stdout_closed()
    except SystemExit:  # --help, --version or a usage error: argparse printed, then exits
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            stdout_closed()
        raise
    return code


def run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except CliError as exc:
        print(f"huashu: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return code


def stdout_closed() -> int:
    """Point stdout at /dev/null, so the interpreter's own flush at exit has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a real file (e.g. replaced in a test)
        pass
    return 128 + signal.SIGPIPE

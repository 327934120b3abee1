"""The builder process of a rebuild job (`python -m assistant.suggest.build_job ...`).

Started by `Rebuilder` in `process` mode: lowers its own CPU priority, asks Linux to kill it
when its parent dies (a killed service leaves no orphan build, only a `.build-*` directory the
next start removes), loads the model, reads the shop's rows from a JSON file, writes the
snapshot directory and prints JSON lines on stdout: `{"progress": p}` while embedding, then
`{"version", "counts", "revision"}` or `{"error"}`.

With `--take-turns` it embeds a batch only in its turn among the service's builds
(`assistant/suggest/turns.py`): it asks with `{"turn": n}` (n texts), waits for a line `go` on
its stdin, embeds, then says `{"embedded": n}`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.retrieval.embedders import Embedder, Vectors

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """SIGKILL when the parent dies; and if it died before this call, exit now."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the parent kills it on its way out
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent and os.getppid() != parent:
        os._exit(3)


def _say(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class TurnTakingEmbedder:
    """`embedder`, each batch embedded in its turn: asked for on stdout, given on stdin."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    @property
    def name(self) -> str:
        return self._embedder.name

    @property
    def dim(self) -> int:
        return self._embedder.dim

    def _in_turn(self, encode: Callable[[Sequence[str]], Vectors], texts: Sequence[str]) -> Vectors:
        _say({"turn": len(texts)})
        if sys.stdin.readline().strip() != "go":  # end of input: the service is gone
            os._exit(3)
        try:
            return encode(texts)
        finally:
            _say({"embedded": len(texts)})

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._in_turn(self._embedder.encode_queries, texts)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return self._in_turn(self._embedder.encode_passages, texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.suggest.build_job")
    parser.add_argument("--rows", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--shop", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--nice", type=int, default=10)
    parser.add_argument("--parent", type=int, default=0, help="the service's pid (exit when it is gone)")
    parser.add_argument("--take-turns", action="store_true", help="embed each batch when stdin says `go`")
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    if args.nice:
        os.nice(args.nice)
    from assistant.knowledge.loader import KnowledgeError  # the heavy imports after the guard
    from assistant.retrieval.embedders import load_embedder
    from assistant.storage.protocols import KnowledgeRow
    from assistant.suggest.snapshots import build_shop_snapshot

    rows = [KnowledgeRow(f, p, e, d) for f, p, e, d in json.loads(args.rows.read_text(encoding="utf-8"))]
    loaded = load_embedder(args.model)
    embedder = TurnTakingEmbedder(loaded) if args.take_turns else loaded
    said = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal said
        if args.parent and os.getppid() != args.parent:  # orphaned before the guard could act
            os._exit(3)
        if time.monotonic() - said >= 0.25:
            said = time.monotonic()
            _say({"progress": done / max(total, 1)})

    try:
        built = build_shop_snapshot(rows, args.index, args.shop, embedder, progress)
    except KnowledgeError as exc:
        _say({"error": f"{len(exc.problems)} problem(s) in the knowledge: " + "; ".join(exc.problems[:5])})
        return 1
    _say({"version": built.report.version, "counts": built.report.counts, "revision": built.revision})
    return 0


if __name__ == "__main__":
    sys.exit(main())

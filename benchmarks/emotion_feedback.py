"""The "cue wrong" feedback loop on a simulated shop stream: shown-cue precision and offsets.

    python benchmarks/emotion_feedback.py [--seeds 20] [--figure docs/img/cue_feedback.png]

Two simulated cues (assistant/evaluation/cue_feedback.py): `anger` over-eager in this shop (right
only at high scores, ~70 % of shown cues right), `satisfaction` well calibrated (92 %). Agents
mark half of the wrong cues they see (and 1 % of the right ones). Offsets are recomputed every
200 messages from the last 600. Prints, averaged over seeds, the precision of shown cues in the
first 200 messages and after message 1,000, and the offsets at the end.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from assistant.emotion.types import CueName
from assistant.evaluation.cue_feedback import Block, SimulatedCue, over_eager, simulate, well_calibrated

CUES = [SimulatedCue("anger", over_eager), SimulatedCue("satisfaction", well_calibrated)]


def pooled(blocks: list[Block], cue: CueName) -> float:
    shown = sum(b.shown.get(cue, 0) for b in blocks)
    return sum(b.right.get(cue, 0) for b in blocks) / shown if shown else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--figure", type=Path, default=None, help="write a PNG of precision and offset over time")
    args = parser.parse_args()
    runs = [simulate(CUES, messages=args.messages, seed=seed) for seed in range(1, args.seeds + 1)]
    print(f"{'cue':<14}{'P first 200':>12}{'P after 1000':>14}{'offset end':>12}{'shown/1000 before':>19}{'after':>7}")
    for cue in CUES:
        before = [pooled(r[:1], cue.name) for r in runs]
        after = [pooled([b for b in r if b.start >= 1000], cue.name) for r in runs]
        offsets = [r[-1].offsets.get(cue.name, 0.0) for r in runs]
        rate_before = [1000 * r[0].shown.get(cue.name, 0) / 200 for r in runs]
        late = [[b for b in r if b.start >= 1000] for r in runs]
        rate_after = [1000 * sum(b.shown.get(cue.name, 0) for b in bl) / (args.messages - 1000) for bl in late]
        print(
            f"{cue.name:<14}{statistics.mean(before):>12.3f}{statistics.mean(after):>14.3f}"
            f"{statistics.mean(offsets):>12.3f}{statistics.mean(rate_before):>19.0f}{statistics.mean(rate_after):>7.0f}"
        )
    if args.figure is not None:
        draw(runs[0], args.figure)
        print(f"wrote {args.figure}")


def draw(blocks: list[Block], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 4.2), sharex=True)
    starts = [b.start for b in blocks]
    for cue, colour in (("anger", "#e45756"), ("satisfaction", "#54a24b")):
        top.plot(starts, [b.precision(cue) for b in blocks], marker="o", markersize=3, color=colour, label=cue)
        bottom.step(starts, [b.offsets.get(cue, 0.0) for b in blocks], where="post", color=colour, label=cue)
    top.axhline(0.8, color="#999999", linestyle="--", linewidth=1)
    top.set_ylabel("precision of shown cues", fontsize=8)
    top.set_ylim(0.4, 1.05)
    top.legend(fontsize=7, loc="lower right")
    bottom.set_ylabel("learned offset", fontsize=8)
    bottom.set_xlabel("messages (offsets recomputed every 200)", fontsize=8)
    bottom.set_ylim(-0.01, 0.27)
    fig.suptitle("Simulated shop: agents mark half of the wrong cues", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()

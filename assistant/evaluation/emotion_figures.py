"""Reliability diagrams: per cue, the score of a shown cue against how often it was right.

One PNG per real-chat set and system with scores (`docs/img/reliability_<set>.png`): a panel per
cue, bars of observed precision per score bin (count on top), and the diagonal for reference.
matplotlib is a development dependency, imported only here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_reliability_diagrams(report: dict[str, Any], folder: Path, system: str = "huashu") -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for result in report["sets"]:
        scored = result["systems"].get(system, {})
        bins = scored.get("reliability")
        if result.get("label_map") != "levels" or not bins:
            continue
        cues = list(bins)
        columns = 4
        rows = -(-len(cues) // columns)
        fig, grid = plt.subplots(rows, columns, figsize=(9.6, 2.6 * rows), sharey=True, squeeze=False)
        axes = [ax for row in grid for ax in row]
        for ax in axes[len(cues) :]:
            ax.set_visible(False)
        for ax, cue in zip(axes, cues, strict=False):
            entries = bins[cue]
            ax.plot([0.3, 1.0], [0.3, 1.0], color="#bbbbbb", linewidth=1, linestyle="--")
            for entry in entries:
                width = entry["high"] - entry["low"]
                ax.bar(entry["low"], entry["precision"], width=width, align="edge", color="#4c78a8", edgecolor="white")
                label = str(entry["count"])
                ax.text(entry["low"] + width / 2, entry["precision"] + 0.02, label, ha="center", fontsize=7)
            ax.set_title(cue, fontsize=9)
            ax.set_xlim(0.3, 1.0)
            ax.set_ylim(0, 1.1)
            ax.set_xlabel("score", fontsize=8)
            ax.tick_params(labelsize=7)
        for row in grid:
            row[0].set_ylabel("observed precision", fontsize=8)
        name = Path(result["data"]).stem
        fig.suptitle(f"{name}: {result['rows']} customer turns (bar labels: cues shown)", fontsize=9)
        fig.tight_layout()
        path = folder / f"reliability_{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written

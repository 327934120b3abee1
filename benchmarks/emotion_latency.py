"""Emotion detection latency: ms per message (median and p99) over a few thousand messages.

    python benchmarks/emotion_latency.py [--messages 3000] [--context 4] [--gc-freeze]

Messages are authored customer-service phrasings (tests/data/emotion_cues.jsonl) cycled with a
conversation of `--context` earlier turns. `--gc-freeze` moves the objects loaded at start-up
(OpenCC's and the lexicon's tables) out of the cyclic collector's reach, as a long-running
service would; without it, a full collection now and then costs ~4 ms; the embedding is not part of the measure (the
service computes it once for retrieval and passes it in).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from pathlib import Path

from assistant.emotion.detector import EmotionDetector
from assistant.retrieval.types import Turn

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--context", type=int, default=4, help="earlier turns per message")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after loading")
    args = parser.parse_args()
    lines = (REPO / "tests" / "data" / "emotion_cues.jsonl").read_text("utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    detector = EmotionDetector()
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    for mode, turns in (("no context", 0), (f"{args.context} earlier turns", args.context)):
        timings = []
        for i in range(args.messages):
            text = texts[i % len(texts)]
            context = [
                Turn("customer" if k % 2 == 0 else "agent", texts[(i + k + 1) % len(texts)]) for k in range(turns)
            ]
            started = time.perf_counter()
            detector.read(text, context)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p99 = timings[int(len(timings) * 0.99) - 1]
        print(
            f"{mode:>18}: {args.messages} messages, median {statistics.median(timings):.3f} ms, "
            f"p99 {p99:.3f} ms, max {timings[-1]:.3f} ms"
        )


if __name__ == "__main__":
    main()

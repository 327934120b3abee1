"""Sample JDDC customer turns for the emotion development set: uniform, and keyword-sampled.

    python benchmarks/sample_emotion_dev.py [--uniform 600] [--keyword 200] [--seed 11] [--show]
    python benchmarks/sample_emotion_dev.py --part fresh --fresh 480 --seed 2028 \
        --exclude tests/data/jddc_cues_uniform.jsonl tests/data/jddc_cues_keyword.jsonl tests/data/jddc_cues_fresh.jsonl
    python benchmarks/sample_emotion_dev.py --part flagged --decoys 46 --seed 2030 \
        --exclude tests/data/jddc_cues_*.jsonl
    python benchmarks/sample_emotion_dev.py --part ecd --seed 2031

Uniform: every customer turn of ../shared/data/jddc/sessions.jsonl is equally likely (fixed
seed). Keyword: customer turns containing a rare-cue word (anger, complaint, hesitation,
confusion, disappointment) not already in the uniform part, sampled with the same seed.
Fresh: a uniform sample of the customer turns in none of the `--exclude` label files (how
tests/data/jddc_cues_fresh2.jsonl was drawn, after the rules it measures were written).
Flagged: *every* customer turn in none of the `--exclude` files on which the detector as it stands
shows anger or complaint risk at medium or high (what raises the escalation banner), mixed with
`--decoys` uniformly drawn others and shuffled, so blind labellers cannot tell which is which:
the precision of the escalating cues over all unseen turns (how tests/data/jddc_cues_flagged.jsonl
was drawn).
ECD: every customer turn of the Taobao E-commerce Dialogue Corpus sample (../shared/data/ecd,
another platform, never read for rules), one per distinct conversation prefix, shuffled: sessions
`ecd:ROW` (how tests/data/ecd_cues_blind.jsonl was drawn).
Prints `session turn` pairs (or, with `--show`, the turn with its earlier turns, for labelling).
Only ids and labels are committed (tests/data/jddc_cues_*.jsonl); the text stays in ../shared.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from assistant.evaluation.emotion_chats import read_ecd

REPO = Path(__file__).resolve().parents[1]
SHARED = next(
    (p / "shared" / "data" for p in REPO.parents if (p / "shared" / "data").is_dir()), REPO.parent / "shared" / "data"
)
JDDC = SHARED / "jddc" / "sessions.jsonl"
ECD = SHARED / "ecd" / "dev.jsonl"
KEYWORDS = (
    "投诉", "差评", "12315", "曝光", "举报", "工商", "消协", "说法", "骗", "垃圾", "态度", "无语", "生气",
    "气死", "什么意思", "不明白", "不懂", "怎么回事", "失望", "太差", "后悔", "纠结", "犹豫", "考虑", "哪个好",
    "值得", "？？", "！！", "都几天", "好几次", "到底", "凭什么", "为什么",
)  # fmt: skip


def customer_turns(path: Path = JDDC) -> list[tuple[str, int, list[dict[str, str]]]]:
    out = []
    for line in path.read_text("utf-8").splitlines():
        session = json.loads(line)
        for i, turn in enumerate(session["turns"]):
            if turn["role"] == "customer":
                out.append((session["session"], i, session["turns"]))
    return out


def samples(uniform: int, keyword: int, seed: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    turns = customer_turns()
    rng = random.Random(seed)
    picked = rng.sample(range(len(turns)), uniform)
    chosen = {(turns[i][0], turns[i][1]) for i in picked}
    pool = [
        (s, i) for s, i, all_turns in turns if (s, i) not in chosen and any(k in all_turns[i]["text"] for k in KEYWORDS)
    ]
    rng2 = random.Random(seed + 1)
    extra = rng2.sample(pool, min(keyword, len(pool)))
    return sorted(chosen), sorted(extra)


def labelled(files: list[Path]) -> set[tuple[str, int]]:
    """The (session, turn) ids of every row of the label `files`."""
    rows = (json.loads(line) for path in files for line in path.read_text("utf-8").splitlines())
    return {(row["session"], row["turn"]) for row in rows}


def fresh(n: int, seed: int, exclude: list[Path]) -> list[tuple[str, int]]:
    """`n` customer turns drawn uniformly among those in none of the `exclude` label files, sorted."""
    taken = labelled(exclude)
    pool = [(s, i) for s, i, _ in customer_turns() if (s, i) not in taken]
    return sorted(random.Random(seed).sample(pool, n))


def flagged(decoys: int, seed: int, exclude: list[Path]) -> list[tuple[str, int]]:
    """Every turn in none of the `exclude` files that the detector escalates on (anger or
    complaint risk at medium or high), with `decoys` other turns of the same pool, shuffled."""
    from assistant.emotion.detector import EmotionDetector  # the detector as committed
    from assistant.retrieval.types import Turn

    detector = EmotionDetector()
    taken = labelled(exclude)
    hits, others = [], []
    for session, turn, turns in customer_turns():
        if (session, turn) in taken:
            continue
        context = [Turn("customer" if t["role"] == "customer" else "agent", t["text"]) for t in turns[:turn]]
        shown = {cue.name for cue in detector.read(turns[turn]["text"], context).shown("medium")}
        (hits if shown & {"anger", "complaint_risk"} else others).append((session, turn))
    rng = random.Random(seed)
    mixed = hits + rng.sample(others, min(decoys, len(others)))
    rng.shuffle(mixed)
    return mixed


def ecd_turns() -> list[tuple[str, int, list[dict[str, str]]]]:
    """Each distinct customer turn of the ECD sample with its earlier turns (rows overlap: one
    conversation prefix is kept once, in the first row that holds it)."""
    out, seen = [], set()
    for session, read in read_ecd(ECD).items():
        turns = [{"role": t.role, "text": t.text} for t in read]
        for i in range(len(turns)):
            prefix = tuple(t["text"] for t in turns[: i + 1])
            if turns[i]["role"] == "customer" and prefix not in seen:
                seen.add(prefix)
                out.append((session, i, turns))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uniform", type=int, default=600)
    parser.add_argument("--keyword", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--part", choices=("uniform", "keyword", "fresh", "flagged", "ecd"), default="uniform")
    parser.add_argument("--decoys", type=int, default=46, help="--part flagged: other turns mixed in")
    parser.add_argument("--fresh", type=int, default=480)
    parser.add_argument("--exclude", type=Path, nargs="*", default=[])
    parser.add_argument("--show", action="store_true", help="print each turn with 4 earlier turns")
    args = parser.parse_args()
    if args.part == "fresh":
        picked = fresh(args.fresh, args.seed, args.exclude)
    elif args.part == "flagged":
        picked = flagged(args.decoys, args.seed, args.exclude)
    elif args.part == "ecd":
        picked = [(s, i) for s, i, _ in ecd_turns()]
        random.Random(args.seed).shuffle(picked)
    else:
        uniform, keyword = samples(args.uniform, args.keyword, args.seed)
        picked = uniform if args.part == "uniform" else keyword
    sessions = {s: t for s, _, t in (ecd_turns() if args.part == "ecd" else customer_turns())}
    for n, (session, turn) in enumerate(picked):
        if not args.show:
            print(session, turn)
            continue
        turns = sessions[session]
        print(f"#{n} {session[:8]} {turn}")
        for earlier in turns[max(0, turn - 4) : turn]:
            print(f"    {earlier['role'][0]}: {earlier['text'][:80]}")
        print(f"  >> {turns[turn]['text'][:200]}")


if __name__ == "__main__":
    main()

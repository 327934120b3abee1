"""`huashu eval emotion` end to end on small authored files, its JSON shape, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.emotion.types import CUE_NAMES
from assistant.evaluation.emotion import DataError, load

REPO = Path(__file__).resolve().parents[2]
LABELLED = REPO / "tests" / "data" / "emotion_cues.jsonl"


def write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def test_cue_rows_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(
        tmp_path / "cues.jsonl",
        [
            {"text": "气死我了，我要投诉", "cues": ["anger", "complaint_risk"]},
            {"text": "这个怎么用？看不懂", "cues": ["confusion"]},
            {"text": "还有优惠吗，有点犹豫", "cues": ["hesitation"]},
            {"text": "你好，有现货吗", "cues": []},
            {
                "text": "到底什么时候发货",
                "context": ["什么时候发货", "亲稍等"],
                "cues": ["anxiety"],
            },
        ],
    )
    assert main(["eval", "emotion", "--data", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (result,) = report["sets"]
    assert result["task"] == "cues" and result["rows"] == 5
    assert result["cues"] == list(CUE_NAMES)
    huashu = result["systems"]["huashu"]
    assert set(huashu["per_cue"]) == set(CUE_NAMES)
    assert {"precision", "recall", "f1", "support", "shown", "precision_ci95"} == set(huashu["per_cue"]["anger"])
    assert 0.0 <= huashu["macro_f1"] <= 1.0 and huashu["ms_per_message"] > 0
    assert huashu["per_cue"]["complaint_risk"]["f1"] == 1.0


def test_label_rows_with_both_maps_and_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    emotions = write(
        tmp_path / "weibo.jsonl",
        [
            {"text": "气死了，什么玩意", "label": "angry"},
            {"text": "今天好开心哈哈", "label": "happy"},
            {"text": "晚上吃了面条", "label": "neutral"},
        ],
    )
    reviews = write(
        tmp_path / "reviews.jsonl",
        [
            {"text": "质量很好，很满意", "label": "positive"},
            {"text": "太差了，失望", "label": "negative"},
        ],
    )
    assert main(["eval", "emotion", "--data", str(emotions), "--data", str(reviews)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "accuracy" in out and "huashu" in out
    assert main(["eval", "emotion", "--data", str(reviews), "--json", "--limit", "1"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["sets"]
    assert result["task"] == "binary" and result["rows"] == 1
    assert result["systems"]["huashu"]["accuracy"] == 1.0


def test_peers_run_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path / "r.jsonl", [{"text": "很好用，推荐", "label": "positive"}])
    assert main(["eval", "emotion", "--data", str(data), "--peers", "--json"]) == 0
    systems = json.loads(capsys.readouterr().out)["sets"][0]["systems"]
    assert set(systems) == {"huashu", "cnsenti", "snownlp"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "好", "cues": ["anger"]}\n{not json}\n', ":2: not valid JSON"),
        ('{"text": "好", "cues": ["angry"]}\n', ":1: `cues` must be a list"),
        (
            '{"text": "好", "label": "angry"}\n{"text": "x", "label": "bored"}\n',
            ":2: label 'bored'",
        ),
        ('{"cues": []}\n', ":1: each row needs a string `text`"),
        ('{"text": "好", "label": "happy", "cues": []}\n', ":1: give exactly one"),
        ('{"text": "好", "context": "x", "cues": []}\n', ":1: `context` must be"),
    ],
)
def test_bad_rows_name_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, "utf-8")
    assert main(["eval", "emotion", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}{message}" in err
    assert "Traceback" not in err
    with pytest.raises(DataError):
        load(path)


def test_missing_file_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "emotion", "--data", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl: no such file" in capsys.readouterr().err


def test_labelled_set_covers_every_cue() -> None:
    data = load(LABELLED)
    counts = {cue: sum(1 for r in data.rows if cue in r.cues) for cue in CUE_NAMES}
    for cue in ("complaint_risk", "anxiety", "confusion", "hesitation"):
        assert counts[cue] >= 40, counts
    assert all(counts[cue] > 0 for cue in CUE_NAMES)
    assert sum(1 for r in data.rows if not r.cues) >= 20  # hard negatives

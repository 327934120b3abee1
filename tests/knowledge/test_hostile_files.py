"""Hostile knowledge files (issue 10, item 7): a 5 MB field is refused at its own `file:line`
before anything is embedded; an unclosed quote is reported where it was opened, not at the
file's last line; a NUL byte is named; a BOM is accepted in JSONL as it is in YAML."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assistant.knowledge.loader import KnowledgeError, load_knowledge

FAQ = """\
- id: faq-{n}
  stage: pre_sale
  category: 物流
  question: {question}
  variants:
    - 几天能到啊
  answer: 亲，48小时内发货，一般2-4天送达哦～
  tags: [shipping]
"""


def faq_file(root: Path, body: str, name: str = "faq/a.yaml") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    return caught.value.problems


def test_a_five_megabyte_row_is_refused_at_its_field_in_a_moment(tmp_path: Path) -> None:
    row = {"id": "pr-huge", "customer": "快" * 5_000_000, "reply": "亲，在的～", "tags": ["shipping"]}
    good = {"id": "pr-ok", "customer": "在吗", "reply": "亲，在的～", "tags": ["greeting"]}
    lines = [json.dumps(good, ensure_ascii=False), json.dumps(row, ensure_ascii=False)]
    (tmp_path / "past_replies.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    found = problems(tmp_path)
    assert time.perf_counter() - started < 5
    assert found == ["past_replies.jsonl:2: customer: longer than 1,000 characters (5,000,000)"]


def test_too_many_variants_are_refused(tmp_path: Path) -> None:
    variants = "".join(f"\n    - 问法{i}" for i in range(201))
    body = FAQ.format(n=1, question="快递几天能到？").replace("\n    - 几天能到啊", variants)
    assert problems(faq_file(tmp_path, body)) == ["faq/a.yaml:5: variants: more than 200 items (201)"]


def test_an_unclosed_quote_is_reported_where_it_opened(tmp_path: Path) -> None:
    rows = [FAQ.format(n=n, question="快递几天能到？") for n in range(1, 3)]
    rows.append(FAQ.format(n=3, question='"快递几天能到？'))  # never closed: the file has 24 lines
    rows += [FAQ.format(n=n, question="快递几天能到？") for n in range(4, 6)]
    body = "".join(rows)
    assert body.count("\n") == 40
    (found,) = problems(faq_file(tmp_path, body))
    assert found.startswith("faq/a.yaml:20: not valid YAML (")
    assert "quoted scalar started here" in found


def test_a_nul_byte_is_named_with_its_line(tmp_path: Path) -> None:
    body = FAQ.format(n=1, question="快递几天\x00能到？")
    assert problems(faq_file(tmp_path, body)) == ["faq/a.yaml:4: not valid YAML (a NUL byte is not allowed in YAML)"]


def test_a_bom_is_accepted_in_jsonl_as_in_yaml(tmp_path: Path) -> None:
    faq_file(tmp_path, "\ufeff" + FAQ.format(n=1, question="快递几天能到？"))
    row = {"id": "pr-1", "customer": "在吗", "reply": "亲，在的～", "tags": ["greeting"]}
    (tmp_path / "past_replies.jsonl").write_text(
        "\ufeff" + json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    kb = load_knowledge(tmp_path)
    assert {e.id for e in kb.entries} == {"faq-1", "pr-1"}


def test_a_key_given_twice_is_refused_not_silently_replaced(tmp_path: Path) -> None:
    """YAML keeps the last of two `question:` keys; the first question would be lost unseen."""
    body = FAQ.format(n=1, question="快递几天能到？").replace(
        "  category: 物流\n", "  category: 物流\n  question: 发什么快递\n"
    )
    assert problems(faq_file(tmp_path, body)) == [
        "faq/a.yaml:5: 'question' is given twice (first on line 4); one would be lost"
    ]


def test_a_tab_the_parser_allows_is_read_the_same_when_the_rows_are_read_back() -> None:
    # a review: libyaml accepts `answer:<TAB>…`, the rows were then read back with PyYAML's own
    # parser, which refuses it: an upload answered 500 instead of storing the rows
    from assistant.knowledge.uploads import merge_uploads

    faq = (
        "- id: faq-tea\n  stage: pre_sale\n  category: usage\n  question: 怎么泡\n  variants: [泡法]\n"
        "  tags: [tea]\n  answer:\t亲，三克茶叶配一百五十毫升水\n"
    )
    rows = merge_uploads([], {"faq/tea.yaml": faq.encode()})
    assert [r.data["answer"] for r in rows] == ["亲，三克茶叶配一百五十毫升水"]


def test_an_indentation_slip_is_reported_at_its_own_line(tmp_path: Path) -> None:
    """A user test: a line indented wrong among the variants was reported at the first line of the
    block it broke, eleven lines up."""
    rows = [FAQ.format(n=n, question="快递几天能到？") for n in range(1, 3)]
    lines = "".join(rows).splitlines()
    lines[13] = " variants:"  # line 14, one space where the entry's fields have two
    (found,) = problems(faq_file(tmp_path, "\n".join(lines) + "\n"))
    assert found.startswith("faq/a.yaml:14: not valid YAML ("), found
    assert "indentation" in found


def test_an_empty_required_field_is_named_at_its_line(tmp_path: Path) -> None:
    body = FAQ.format(n=1, question="快递几天能到？") + FAQ.format(n=2, question="")
    assert problems(faq_file(tmp_path, body)) == ["faq/a.yaml:12: question: must not be empty"]

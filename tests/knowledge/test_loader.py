"""The loader validates every source and reports each bad row as `file:line: what is wrong`."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
import yaml

from assistant.knowledge.calendar import out_of_season
from assistant.knowledge.loader import KnowledgeError, entries_of_rows, load_knowledge
from assistant.knowledge.model import SourceKind, Stage
from assistant.knowledge.rows import yaml_problem
from tests.conftest import KNOWLEDGE

GOOD_FAQ = """\
- id: faq-ship-eta
  stage: pre_sale
  category: 物流
  question: 快递几天能到？
  variants:
    - 几天能到啊
    - 啥时候能收到😭
  answer: 亲，48小时内发货，一般2-4天送达哦～
  tags: [shipping]
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    return caught.value.problems


def test_a_valid_faq_becomes_an_entry_with_all_its_wordings(tmp_path: Path) -> None:
    kb = load_knowledge(write(tmp_path, {"faq/a.yaml": GOOD_FAQ}))
    (entry,) = kb.entries
    assert entry.id == "faq-ship-eta"
    assert entry.kind is SourceKind.FAQ and entry.stage is Stage.PRE_SALE
    assert entry.questions == ("快递几天能到？", "几天能到啊", "啥时候能收到😭")
    assert entry.tags == frozenset({"shipping"})
    assert entry.origin == "faq/a.yaml:1"
    assert set(kb.sources) == {"faq/a.yaml"}


def test_each_bad_field_is_reported_at_its_own_line(tmp_path: Path) -> None:
    bad = GOOD_FAQ + textwrap.dedent("""\
        - id: Bad Id
          stage: during_sale
          category: 物流
          question: ""
          variants: []
          answer: ok
          tags: [Shipping]
          colour: red
        """)
    found = problems(write(tmp_path, {"faq/a.yaml": bad}))
    assert "faq/a.yaml:10: id: 'Bad Id' is not a valid id (lowercase letters, digits, - and _)" in found
    assert any(p.startswith("faq/a.yaml:11: stage: 'during_sale' is not one of") for p in found)
    assert "faq/a.yaml:13: question: must not be empty" in found
    assert "faq/a.yaml:14: variants: needs at least 1 item(s), has 0" in found
    assert any(p.startswith("faq/a.yaml:16: tags: 'Shipping'") for p in found)
    assert any(p.startswith("faq/a.yaml:17: colour: unknown field") for p in found)


def test_missing_fields_and_duplicate_ids_across_files(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "faq/a.yaml": GOOD_FAQ,
        "faq/b.yaml": GOOD_FAQ.replace("  answer: 亲，48小时内发货，一般2-4天送达哦～\n", ""),
        "policies.yaml": (
            "- id: faq-ship-eta\n  kind: return\n  title: t\n  text: x\n"
            "  questions: [a]\n  reply: r\n  tags: [return]\n"
        ),
    })  # fmt: skip
    found = problems(root)
    assert "faq/b.yaml:1: missing required field `answer`" in found
    assert "policies.yaml:1: id 'faq-ship-eta' is already used at faq/a.yaml:1" in found


def test_one_run_tells_a_duplicate_id_beside_the_other_problems(tmp_path: Path) -> None:
    """A user test: `huashu knowledge check` told an id used twice only once the other problems
    were fixed (the check ran over the entries built, and a row with a problem built none). A
    row with problems of its own still claims its id, and a file with a key given twice still
    has its rows read."""
    root = write(tmp_path, {
        "faq/a.yaml": GOOD_FAQ,
        "faq/b.yaml": GOOD_FAQ.replace("stage: pre_sale", "stage: during_sale"),  # bad, and the same id
        "faq/c.yaml": GOOD_FAQ.replace("faq-ship-eta", "faq-c").replace(
            "  category: 物流\n", "  category: 物流\n  category: 快递\n"
        ).replace("tags: [shipping]", "tags: [Shipping]"),
        "policies.yaml": (
            "- id: faq-c\n  kind: return\n  title: t\n  text: x\n  questions: [a]\n  reply: r\n  tags: [return]\n"
        ),
    })  # fmt: skip
    found = problems(root)
    assert any(p.startswith("faq/b.yaml:2: stage: 'during_sale' is not one of") for p in found)
    assert "faq/b.yaml:1: id 'faq-ship-eta' is already used at faq/a.yaml:1" in found
    assert "faq/c.yaml:4: 'category' is given twice (first on line 3); one would be lost" in found
    assert any(p.startswith("faq/c.yaml:10: tags: 'Shipping'") for p in found)
    assert "policies.yaml:1: id 'faq-c' is already used at faq/c.yaml:1" in found
    assert len(found) == 5, found


def test_broken_yaml_and_jsonl_name_file_and_line(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "faq/a.yaml": GOOD_FAQ + "- id: x\n  question: [unclosed\n",
        "past_replies.jsonl": '{"id": "pr-1", "customer": "咋还没到", "reply": "亲，马上帮您催"}\n{"id": "pr-2",\n',
    })  # fmt: skip
    found = problems(root)
    assert any(p.startswith("faq/a.yaml:1") and "not valid YAML" in p for p in found)
    assert any(p.startswith("past_replies.jsonl:2: not valid JSON") for p in found)


def test_a_misspelt_field_is_told_with_the_field_meant(tmp_path: Path) -> None:
    """A user test: `anwser` in an FAQ entry was an unknown field with no word of `answer`, which
    the admin API says of the same typo (`did you mean`, `schemas.unknown_hint`); the entry's
    missing `answer` names the key typed for it, as the admin API does."""
    typo = GOOD_FAQ.replace("  answer:", "  anwser:")
    far = GOOD_FAQ.replace("faq-ship-eta", "faq-far").replace("  tags:", "  zzzz: 1\n  tags:")
    found = problems(write(tmp_path, {"faq/a.yaml": typo + far}))
    fields = "id, stage, category, question, variants, answer, tags, starts, ends"
    assert found == [
        f"faq/a.yaml:8: anwser: unknown field, did you mean 'answer'? (expected one of: {fields})",
        "faq/a.yaml:1: missing required field `answer` (got 'anwser': did you mean 'answer'?)",
        f"faq/a.yaml:18: zzzz: unknown field (expected one of: {fields})",  # nothing close: no hint
    ], found


def test_a_broken_jsonl_line_says_where_on_the_line(tmp_path: Path) -> None:
    """A user test: the reason was cut off (`Unterminated string starting at`), its position lost."""
    good = '{"id": "pr-1", "customer": "咋还没到", "reply": "亲，马上帮您催"}\n'
    found = problems(write(tmp_path, {"past_replies.jsonl": good + '{"id": "pr-2\n{"id": "pr-3", }\n'}))
    assert found == [
        "past_replies.jsonl:2: not valid JSON (unterminated string starting at column 8)",
        "past_replies.jsonl:3: not valid JSON (expecting property name enclosed in double quotes at column 16)",
    ], found


@pytest.mark.parametrize("line", [2, 5, 6])
def test_a_tab_in_the_indentation_is_told_at_its_own_line(tmp_path: Path, line: int) -> None:
    """A user test: a tab indenting line 2 was told at line 1, where the entry's first value is
    (libyaml's `while scanning a plain scalar` mark), and the problem did not always say tab."""
    lines = GOOD_FAQ.splitlines(keepends=True)
    lines[line - 1] = "\t" + lines[line - 1].lstrip(" ")
    text = "".join(lines)
    (found,) = problems(write(tmp_path, {"faq/a.yaml": text}))
    assert found.startswith(f"faq/a.yaml:{line}: not valid YAML ("), found
    assert "indent with spaces" in found and "started here" not in found, found
    for loader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # PyYAML's marks too
        with pytest.raises(yaml.YAMLError) as caught:
            yaml.load(text, Loader=loader)
        at, said = yaml_problem(caught.value, text)
        assert at == line and "indent with spaces" in said, (loader, said)


def test_nothing_is_loaded_from_a_partly_broken_base(tmp_path: Path) -> None:
    root = write(tmp_path, {"faq/a.yaml": GOOD_FAQ, "products.yaml": "- id: p1\n  name: 被子\n"})
    found = problems(root)
    assert "products.yaml:1: missing required field `category`" in found


PRODUCT = """\
- id: prod-duvet
  name: 95白鹅绒冬被
  aliases: [鹅绒被, 羽绒被]
  category: 被子
  price: 899
  specs:
    填充: 95%白鹅绒
  qa:
    - question: 会钻绒吗
      variants: [跑毛吗]
      answer: 不会哦
      tags: [quality]
"""


def test_product_qa_rows_get_derived_ids_and_their_own_lines(tmp_path: Path) -> None:
    product = PRODUCT + "    - question: 能机洗吗\n      variants: []\n      answer: 不建议\n      tags: [care]\n"
    found = problems(write(tmp_path, {"products.yaml": product}))
    assert found == ["products.yaml:14: variants: needs at least 1 item(s), has 0"]


def test_a_products_overview_is_asked_its_price_under_its_name_aliases_and_category(tmp_path: Path) -> None:
    entries = load_knowledge(write(tmp_path, {"products.yaml": PRODUCT})).entries
    overview = next(e for e in entries if e.id == "prod-duvet")
    assert overview.questions[:2] == ("95白鹅绒冬被", "95白鹅绒冬被 填充")
    for term in ("95白鹅绒冬被", "鹅绒被", "羽绒被", "被子"):
        assert {f"{term}多少钱", f"{term}什么价", f"{term}价格"} <= set(overview.questions)
    assert "¥899" in overview.reply
    qa = next(e for e in entries if e.id == "prod-duvet-qa-1")
    assert qa.questions == ("会钻绒吗", "跑毛吗")  # only the overview answers the price


def test_product_aliases_are_optional_and_checked(tmp_path: Path) -> None:
    plain = PRODUCT.replace("  aliases: [鹅绒被, 羽绒被]\n", "")
    overview = next(e for e in load_knowledge(write(tmp_path / "a", {"products.yaml": plain})).entries)
    assert "被子多少钱" in overview.questions and not any("羽绒被" in q for q in overview.questions)
    broken = PRODUCT.replace("[鹅绒被, 羽绒被]", "羽绒被")
    assert problems(write(tmp_path / "b", {"products.yaml": broken})) == [
        "products.yaml:3: aliases: must be a list, got str"
    ]
    blank = PRODUCT.replace("[鹅绒被, 羽绒被]", '[鹅绒被, " "]')
    assert problems(write(tmp_path / "c", {"products.yaml": blank})) == [
        "products.yaml:3: aliases: item 2 must be non-empty text"
    ]


def test_a_number_or_a_control_character_where_text_is_expected_is_a_problem(tmp_path: Path) -> None:
    """A user test: `answer: 123` was stored and suggested as "123" (and `question: 12345`,
    `variants: [1, 2]`, `category: 3.5` were taken as text); a NUL in an answer was kept."""
    bad = (
        GOOD_FAQ.replace("category: 物流", "category: 3.5")
        .replace("question: 快递几天能到？", "question: 12345")
        .replace("    - 几天能到啊", "    - 1")
        .replace("answer: 亲，48小时内发货，一般2-4天送达哦～", "answer: 123")
    )
    assert problems(write(tmp_path / "a", {"faq/a.yaml": bad})) == [
        "faq/a.yaml:3: category: must be text, got a number (3.5; put it in quotes if it is meant as text)",
        "faq/a.yaml:4: question: must be text, got a number (12345; put it in quotes if it is meant as text)",
        "faq/a.yaml:5: variants: item 1 must be text, got a number (1; put it in quotes if it is meant as text)",
        "faq/a.yaml:8: answer: must be text, got a number (123; put it in quotes if it is meant as text)",
    ]
    quoted = GOOD_FAQ.replace("question: 快递几天能到？", 'question: "12345"')
    assert load_knowledge(write(tmp_path / "b", {"faq/a.yaml": quoted})).entries[0].questions[0] == "12345"
    controls = GOOD_FAQ.replace("answer: 亲，", 'answer: "亲\\0，').replace("～\n", '～"\n')
    controls = controls.replace("    - 几天能到啊", '    - "几天\\e能到"')
    assert problems(write(tmp_path / "c", {"faq/a.yaml": controls})) == [
        "faq/a.yaml:5: variants: item 1 must not contain control character U+001B",
        "faq/a.yaml:8: answer: must not contain a NUL character",
    ]
    kept = GOOD_FAQ.replace("answer: 亲，", 'answer: "亲，\\t').replace("～\n", '～\\n再见"\n')
    assert load_knowledge(write(tmp_path / "d", {"faq/a.yaml": kept})).entries[0].reply.endswith("～\n再见")


def test_an_id_written_as_a_number_is_told_to_be_text_and_how_to_write_it(tmp_path: Path) -> None:
    """A user test: `id: 12` (YAML) and `"id": 12` (JSON) were read as a missing id ("required").
    An id is text, as every text field is (`answer: 123` is refused, not converted): the problem
    says so at the id's line, with the id as the file's format writes it quoted; a quoted number
    is a valid id, and a numbered row still claims its id (a duplicate is told in the same run)."""
    reply = '{"id": 7, "customer": "在吗", "reply": "在的亲", "tags": ["other"]}\n'
    root = write(tmp_path / "a", {
        "faq/a.yaml": GOOD_FAQ.replace("id: faq-ship-eta", "id: 12"),
        "faq/b.yaml": GOOD_FAQ.replace("id: faq-ship-eta", "id: 1.5"),
        "policies.yaml": (
            '- id: "12"\n  kind: return\n  title: t\n  text: x\n  questions: [a]\n  reply: r\n  tags: [return]\n'
        ),
        "past_replies.jsonl": reply,
    })  # fmt: skip
    found = problems(root)
    assert 'faq/a.yaml:1: id: must be text (a string), got a number (12): write it in quotes, id: "12"' in found
    assert (
        "faq/b.yaml:1: id: must be text (a string), got a number (1.5): an id is lowercase letters, digits, - and _"
        in found
    )
    assert 'past_replies.jsonl:1: id: must be text (a string), got a number (7): write it in quotes, "id": "7"' in found
    assert "policies.yaml:1: id '12' is already used at faq/a.yaml:1" in found
    assert not any("required" in p for p in found), found
    assert len(found) == 4, found
    quoted = GOOD_FAQ.replace("id: faq-ship-eta", 'id: "12"')
    assert load_knowledge(write(tmp_path / "b", {"faq/a.yaml": quoted})).entries[0].id == "12"


def test_a_number_id_is_quoted_as_it_was_written_not_as_yaml_reads_it(tmp_path: Path) -> None:
    """YAML reads `id: 012` as the octal number 10 and `id: 1_000` as 1000: the hint quoted what
    YAML read (`id: "10"`), an id the shop owner never wrote (second reading, 7 December 2026).
    The hint quotes the id as written, and a second `012` is told as the same id."""
    root = write(tmp_path / "a", {
        "faq/a.yaml": GOOD_FAQ.replace("id: faq-ship-eta", "id: 012"),
        "faq/b.yaml": GOOD_FAQ.replace("id: faq-ship-eta", "id: 1_000"),
        "policies.yaml": (
            '- id: "012"\n  kind: return\n  title: t\n  text: x\n  questions: [a]\n  reply: r\n  tags: [return]\n'
        ),
    })  # fmt: skip
    found = problems(root)
    assert 'faq/a.yaml:1: id: must be text (a string), got a number (012): write it in quotes, id: "012"' in found
    assert 'faq/b.yaml:1: id: must be text (a string), got a number (1_000): write it in quotes, id: "1_000"' in found
    assert "policies.yaml:1: id '012' is already used at faq/a.yaml:1" in found
    assert len(found) == 3, found


def test_a_missing_folder_is_one_clear_problem(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}: knowledge directory does not exist"]


def test_a_file_given_as_the_folder_and_a_folder_where_a_file_should_be_are_problems(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text("name: 小店\n", encoding="utf-8")
    assert problems(tmp_path / "shop.yaml") == [f"{tmp_path / 'shop.yaml'}: is a file, not a knowledge folder"]
    (tmp_path / "faq" / "a.yaml").mkdir(parents=True)
    (tmp_path / "policies.yaml").mkdir()
    assert problems(tmp_path) == ["faq/a.yaml: is a folder, not a file", "policies.yaml: is a folder, not a file"]


def test_a_file_that_cannot_be_read_is_a_problem_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.yaml").write_text("- id: x\n", encoding="utf-8")
    (tmp_path / "shop.yaml").write_text("name: 小店\n", encoding="utf-8")
    read_bytes = Path.read_bytes

    def denied(path: Path) -> bytes:
        if path.name in ("a.yaml", "shop.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert problems(tmp_path) == [
        "shop.yaml: cannot read (Permission denied)",
        "faq/a.yaml: cannot read (Permission denied)",
    ]


def test_the_demo_shop_is_valid_and_large_enough() -> None:
    kb = load_knowledge(KNOWLEDGE)
    counts = kb.counts()
    assert counts["faq"] >= 150
    assert counts["past_reply"] >= 100
    assert counts["product"] > 0 and counts["policy"] > 0 and counts["promotion"] > 0
    stages = {e.stage for e in kb.entries if e.kind is SourceKind.FAQ}
    assert stages == set(Stage)
    assert all(len(e.questions) >= 3 for e in kb.entries if e.kind is SourceKind.FAQ)


def test_a_file_that_is_not_utf8_is_reported_by_line(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.yaml").write_bytes(GOOD_FAQ.encode("utf-8") + "- id: x\n  question: 快递\n".encode("gbk"))
    (tmp_path / "past_replies.jsonl").write_bytes(b'{"id": "pr-1"}\n' + '{"id": "快"}\n'.encode("gbk"))
    found = problems(tmp_path)
    assert "faq/a.yaml:11: not valid UTF-8 (save the file as UTF-8)" in found
    assert "past_replies.jsonl:2: not valid UTF-8" in found


def test_a_product_row_is_its_entry_and_its_questions_and_answers() -> None:
    """What a changed row changed: one product row is its overview and each of its Q&A entries
    (the weekly report leaves them all out of 从未使用 when the product was just added)."""
    entries = load_knowledge(KNOWLEDGE).entries
    product = next(e.id for e in entries if e.kind is SourceKind.PRODUCT and "-qa-" not in e.id)
    ours = {e.id for e in entries if e.id == product or e.id.startswith(f"{product}-qa-")}
    assert len(ours) >= 3
    faq = next(e.id for e in entries if e.kind is SourceKind.FAQ)
    assert entries_of_rows([e.id for e in entries], {product, faq}) == ours | {faq}
    assert entries_of_rows([e.id for e in entries], {"no-such-row"}) == frozenset()


def test_an_faq_or_a_policy_may_hold_only_for_a_while(tmp_path: Path) -> None:
    # a user test: 满300减40券…活动到12月12日 (an FAQ) was still suggested after the coupon ended
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.yaml").write_text(
        "- id: faq-coupon\n  stage: pre_sale\n  category: 优惠\n  question: 券在哪领\n  variants: [怎么领券]\n"
        "  answer: 亲，满300减40券，活动到12月12日\n  tags: [coupon]\n  ends: 2026-12-12\n"
        "- id: faq-ship\n  stage: pre_sale\n  category: 物流\n  question: 发什么快递\n  variants: [哪家快递]\n"
        "  answer: 亲，默认中通\n  tags: [shipping]\n",
        encoding="utf-8",
    )
    (tmp_path / "policies.yaml").write_text(
        "- id: policy-winter\n  kind: shipping\n  title: 冬季顺丰\n  text: 冬季加急\n  questions: [冬天发顺丰吗]\n"
        "  reply: 亲，12月起发顺丰\n  tags: [shipping]\n  starts: 2026-12-01\n  ends: 2026-11-01\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tmp_path)
    assert caught.value.problems == ["policies.yaml:9: ends: ends (2026-11-01) is before starts (2026-12-01)"]
    (tmp_path / "policies.yaml").unlink()
    entries = {e.id: e for e in load_knowledge(tmp_path).entries}
    assert (entries["faq-coupon"].starts, entries["faq-coupon"].ends) == (None, dt.date(2026, 12, 12))
    assert out_of_season(entries["faq-coupon"], dt.date(2026, 12, 13))
    assert not out_of_season(entries["faq-coupon"], dt.date(2026, 12, 12))
    assert entries["faq-ship"].ends is None and not out_of_season(entries["faq-ship"], dt.date(2099, 1, 1))

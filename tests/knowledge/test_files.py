"""Knowledge folder <-> rows: validated before anything is read; written back in the same formats."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from assistant.knowledge.files import SHOP_FILE, check_rows, read_rows, write_files
from assistant.knowledge.loader import KnowledgeError, load_knowledge
from assistant.knowledge.model import KnowledgeEntry
from assistant.storage.protocols import KnowledgeRow
from tests.conftest import KNOWLEDGE


def without_origin(entries: tuple[KnowledgeEntry, ...]) -> list[KnowledgeEntry]:
    return [dataclasses.replace(e, origin=e.origin.split(":")[0]) for e in entries]


def test_the_demo_shop_round_trips_to_the_same_entries(tmp_path: Path) -> None:
    rows = read_rows(KNOWLEDGE)
    files = {r.file for r in rows}
    assert SHOP_FILE in files and "faq/pre_sale.yaml" in files and "past_replies.jsonl" in files
    assert "README.md" not in files
    assert all(r.entry_id for r in rows if r.file != SHOP_FILE)
    write_files(rows, tmp_path)
    original, exported = load_knowledge(KNOWLEDGE), load_knowledge(tmp_path)
    assert exported.shop_name == original.shop_name
    # Same entries, same files; only the line numbers move (comments and layout are not kept).
    assert without_origin(exported.entries) == without_origin(original.entries)
    assert read_rows(tmp_path) == rows


def test_written_over_the_owners_folder_an_unchanged_file_stays_byte_for_byte(tmp_path: Path) -> None:
    """A user test: an export dropped the comments of the owner's files, so every line moved. A
    file that holds its rows already is not written at all."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert write_files(read_rows(KNOWLEDGE), folder) == []
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_a_changed_file_keeps_its_opening_comments_and_the_text_of_its_unchanged_entries(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    name = "faq/pre_sale.yaml"
    original = (folder / name).read_text(encoding="utf-8")
    rows = read_rows(KNOWLEDGE)
    mine = [r for r in rows if r.file == name]
    changed = dataclasses.replace(mine[1], data={**mine[1].data, "answer": "亲，人工客服在的～"})
    added = KnowledgeRow(name, len(mine), "faq-new", {**mine[0].data, "id": "faq-new", "question": "新问题"})
    new_rows = [r for r in rows if r.file != name] + [mine[0], changed, *mine[3:], added]  # mine[2] removed
    assert write_files(new_rows, folder) == [folder / name]
    text = (folder / name).read_text(encoding="utf-8")
    assert text.startswith(original.splitlines(keepends=True)[0]) and text.startswith("# ")
    first = original[: original.index("- id: faq-greet-human")]  # the first entry as the owner wrote it
    assert text.startswith(first) and "亲，人工客服在的～" in text
    last = original[original.rindex("\n- id: ") + 1 :]  # an unchanged entry further down, verbatim
    assert last in text
    expected = [mine[0], changed, *mine[3:], added]
    assert [r.data for r in read_rows(folder) if r.file == name] == [r.data for r in expected]
    origins = {e.id: e.origin for e in load_knowledge(folder).entries}
    assert origins["faq-greet-hello"] == "faq/pre_sale.yaml:2"  # the owner's line: the comment above is kept


def test_dates_become_iso_text_that_loads_the_same(tmp_path: Path) -> None:
    promotions = [r for r in read_rows(KNOWLEDGE) if r.file == "promotions.yaml"]
    assert promotions and all(isinstance(r.data["starts"], str) for r in promotions)
    assert check_rows(promotions).counts()["promotion"] == len(promotions)


@pytest.mark.parametrize("ends", ["2027-02-30", "2026-12-32", "20261201", "2026-W52-7", "2026-12-12 18:00"])
def test_a_date_that_is_no_date_is_a_problem_at_its_line(tmp_path: Path, ends: str) -> None:
    # a user test: 2027-02-30 was a traceback (PyYAML's ValueError); 20261201 and 2026-W52-7 passed
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    promotions = folder / "promotions.yaml"
    text = promotions.read_text(encoding="utf-8")
    promotions.write_text(text.replace("ends: 2026-12-12", f"ends: {ends}", 1), encoding="utf-8")
    for read in (read_rows, load_knowledge):
        with pytest.raises(KnowledgeError) as caught:
            read(folder)
        shown = ends if ends.isdigit() else repr(ends)  # an unquoted 20261201 is a YAML number
        assert caught.value.problems == [f"promotions.yaml:5: ends: {shown} is not a date (YYYY-MM-DD)"]


def test_a_folder_with_any_bad_file_gives_every_problem_and_no_rows(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    with (folder / "policies.yaml").open("a", encoding="utf-8") as f:
        f.write("- id: policy-bad\n  kind: teleport\n")
    (folder / "past_replies.jsonl").write_text('{"id": "pr-1"\n', encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        read_rows(folder)
    problems = "\n".join(caught.value.problems)
    assert "policies.yaml:" in problems and "kind: 'teleport' is not one of" in problems
    assert "past_replies.jsonl:1: not valid JSON" in problems


def test_rows_checked_in_a_scratch_folder_report_file_and_line() -> None:
    bad = KnowledgeRow("faq/a.yaml", 0, "faq-a", {"id": "faq-a", "stage": "pre_sale"})
    with pytest.raises(KnowledgeError, match=r"faq/a.yaml:1: missing required field `question`"):
        check_rows([bad])


def test_a_row_cannot_write_outside_the_folder(tmp_path: Path) -> None:
    escape = KnowledgeRow("../escaped.yaml", 0, "x", {"id": "x"})
    with pytest.raises(KnowledgeError, match="inside the knowledge folder"):
        write_files([escape], tmp_path / "out")
    assert not (tmp_path / "escaped.yaml").exists()


def test_a_file_of_the_folder_giving_a_key_twice_is_written_anew_not_kept(tmp_path: Path) -> None:
    """A second reading: the export compared texts with YAML's reading (the last of two keys wins),
    so a folder file edited to give a key twice was kept or spliced, and would not import again."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    name = "faq/pre_sale.yaml"
    text = (folder / name).read_text(encoding="utf-8")
    first_answer = text.index("  answer:")
    (folder / name).write_text(text[:first_answer] + "  answer: 旧的回答\n" + text[first_answer:], encoding="utf-8")
    assert write_files(read_rows(KNOWLEDGE), folder) == [folder / name]
    assert [r.data for r in read_rows(folder)] == [r.data for r in read_rows(KNOWLEDGE)]
    load_knowledge(folder)  # loads: no key given twice


def test_a_reply_holding_a_line_separator_round_trips_through_jsonl(tmp_path: Path) -> None:
    """U+2028 is text inside a JSON string: a reader splitting on it broke the line in two."""
    rows = [r for r in read_rows(KNOWLEDGE) if r.file.endswith(".jsonl")][:2]
    odd = dataclasses.replace(rows[0], data={**rows[0].data, "reply": "亲\u2028稍等\u2029哦"})
    write_files([odd, rows[1]], tmp_path)
    assert [r.data for r in read_rows(tmp_path)] == [odd.data, rows[1].data]
    assert write_files([odd, rows[1]], tmp_path) == []  # and an unchanged file is seen as unchanged

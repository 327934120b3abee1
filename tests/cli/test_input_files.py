"""Every command that reads or writes a path the user gave answers a bad path (missing, a folder
for a file, a file for a folder, not UTF-8, not YAML) with one `huashu: PATH...` line and exit
code 2, never a traceback. The admin commands fail before they reach the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main

CapSys = pytest.CaptureFixture[str]
NOWHERE = ["--url", "http://127.0.0.1:9", "--token", "x"]  # never reached: the file fails first


def refused(argv: list[str], capsys: CapSys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("huashu: ") and "Traceback" not in err
    return err


def test_admin_entry_put_names_a_file_it_cannot_use(tmp_path: Path, capsys: CapSys) -> None:
    put = ["admin", "entry", "put", "demo"]
    missing = tmp_path / "nonexist.yaml"
    err = refused([*put, str(missing), "--file", "faq/pre_sale.yaml", *NOWHERE], capsys)
    assert err == f"huashu: {missing}: cannot read: no such file or folder\n"
    assert (
        refused([*put, str(tmp_path), *NOWHERE], capsys)
        == f"huashu: {tmp_path}: cannot read: is a folder, not a file\n"
    )
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("- id: faq-a\n  answer: 包邮\n".encode() + b"  question: \xe9t\xe9\n")
    assert (
        refused([*put, str(latin), *NOWHERE], capsys)
        == f"huashu: {latin}:3: not valid UTF-8 (save the file as UTF-8)\n"
    )
    broken = tmp_path / "broken.yaml"  # the parser notices at the end of the file, a line past the last
    broken.write_text("id: faq-a\nstage: pre_sale\nanswer: 包邮\nquestion: [unclosed\n", encoding="utf-8")
    assert refused([*put, str(broken), *NOWHERE], capsys) == (
        f"huashu: {broken}:4: not valid YAML or JSON (did not find expected ',' or ']'"
        " while parsing a flow sequence started here)\n"  # libyaml's words, as for knowledge files
    )


def test_admin_uploads_name_a_knowledge_file_they_cannot_use(tmp_path: Path, capsys: CapSys) -> None:
    folder = tmp_path / "tea"
    (folder / "faq" / "a.yaml").mkdir(parents=True)  # a folder where a knowledge file should be
    upload = ["admin", "knowledge", "upload", "tea", str(folder), *NOWHERE]
    assert refused(upload, capsys) == f"huashu: {folder / 'faq' / 'a.yaml'}: cannot read: is a folder, not a file\n"
    create = ["admin", "shops", "create", "tea", "--knowledge", str(folder), *NOWHERE]
    assert "faq/a.yaml: cannot read: is a folder, not a file" in refused(create, capsys)
    (folder / "faq" / "a.yaml").rmdir()
    (folder / "faq" / "a.yaml").write_bytes(b"- id: faq-a\n  question: \xff\n")
    assert (
        refused(create, capsys) == f"huashu: {folder / 'faq' / 'a.yaml'}:2: not valid UTF-8 (save the file as UTF-8)\n"
    )


def test_knowledge_check_names_a_folder_that_is_a_file_and_a_file_that_is_a_folder(
    tmp_path: Path, capsys: CapSys
) -> None:
    (tmp_path / "faq" / "a.yaml").mkdir(parents=True)
    assert "faq/a.yaml: is a folder, not a file" in refused(
        ["knowledge", "check", "--knowledge", str(tmp_path)], capsys
    )
    file = tmp_path / "notes.yaml"
    file.write_text("x: 1\n", encoding="utf-8")
    err = refused(["knowledge", "check", "--knowledge", str(file)], capsys)
    assert f"{file}: is a file, not a knowledge folder" in err


def test_knowledge_check_tells_a_duplicate_id_in_the_same_run_as_the_other_problems(
    tmp_path: Path, capsys: CapSys
) -> None:
    faq = "- id: faq-{n}\n  stage: {stage}\n  category: c\n  question: q\n  variants: [v]\n  answer: a\n  tags: [t]\n"
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.yaml").write_text(faq.format(n=1, stage="pre_sale"), encoding="utf-8")
    (tmp_path / "faq" / "b.yaml").write_text(faq.format(n=1, stage="soon"), encoding="utf-8")
    err = refused(["knowledge", "check", "--knowledge", str(tmp_path)], capsys)
    assert "2 problem(s)" in err and "faq/b.yaml:2: stage: 'soon' is not one of" in err
    assert "faq/b.yaml:1: id 'faq-1' is already used at faq/a.yaml:1" in err


def test_knowledge_harvest_names_a_folder_given_as_its_log_or_its_output(tmp_path: Path, capsys: CapSys) -> None:
    assert (
        refused(["knowledge", "harvest", str(tmp_path)], capsys) == f"huashu: {tmp_path}: is a folder, not a chat log\n"
    )
    chats = tmp_path / "chats.jsonl"
    chats.write_text('{"session_id": "s", "turns": [{"role": "customer", "text": "在吗"}]}\n', encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    err = refused(["knowledge", "harvest", str(chats), "--out", str(out)], capsys)
    assert err == f"huashu: {out}: cannot write: is a folder, not a file\n"
    assert not (tmp_path / "out.tmp").exists()


def test_shop_export_to_a_file_is_refused(tmp_path: Path, capsys: CapSys) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("x: 1\n", encoding="utf-8")
    db = ["--database-url", f"sqlite:///{tmp_path / 'store.db'}"]
    err = refused(["shop", "export", "demo", str(file), *db], capsys)
    assert err == f"huashu: {file}: is a file, not a folder to write the knowledge to\n"
    assert (
        refused(["shop", "import", "demo", str(file), *db], capsys)
        == f"huashu: {file}: is a file, not a knowledge folder\n"
    )


def test_shop_import_of_a_folder_without_shop_yaml_is_refused_and_changes_nothing(
    tmp_path: Path, capsys: CapSys
) -> None:
    # a user test imported a folder holding only promotions.yaml: the shop's 188 FAQs were gone
    db = ["--database-url", f"sqlite:///{tmp_path / 'store.db'}"]
    knowledge = Path(__file__).resolve().parents[2] / "knowledge"
    assert main(["shop", "create", "demo", "--knowledge", str(knowledge), *db]) == 0
    part = tmp_path / "part"
    part.mkdir()
    (part / "promotions.yaml").write_text((knowledge / "promotions.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    capsys.readouterr()
    err = refused(["shop", "import", "demo", str(part), *db], capsys)
    assert err.startswith(f"huashu: {part}/ has no shop.yaml: `huashu shop import` replaces the shop's whole knowledge")
    assert "huashu admin knowledge upload" in err
    exported = tmp_path / "out"
    assert main(["shop", "export", "demo", str(exported), *db]) == 0
    assert (exported / "faq" / "pre_sale.yaml").is_file()  # the FAQs are still there

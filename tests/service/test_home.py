"""The service's home (`service/home.py`): started from another folder than the checkout, the
default index, knowledge folder and SQLite store are the checkout's (a user test: an empty index
and store were made in that folder, and no demo knowledge was found); a path set in the
environment or a flag stays relative to the working directory; from the checkout, or from a
folder holding its own, nothing changes; a missing knowledge folder is said at start."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import build_parser
from assistant.cli.serve import settings_from
from assistant.cli.store_access import database_url
from assistant.service import keys
from assistant.service.home import checkout, service_home
from assistant.service.settings import Settings
from assistant.storage.sqlite import sqlite_path

from .conftest import ClientFactory, make_settings

CHECKOUT = Path(__file__).resolve().parents[2]


def served_settings(*flags: str, env: dict[str, str] | None = None) -> Settings:
    """What `huashu serve FLAGS` would run with, in this environment and working directory."""
    return settings_from(build_parser().parse_args(["serve", *flags]), env or {})


def store_file(settings: Settings) -> Path:
    file = sqlite_path(settings.database_url)
    assert file is not None
    return Path(file).resolve()


def test_the_checkout_is_found_beside_the_package() -> None:
    assert checkout() == CHECKOUT


def test_from_another_folder_the_defaults_are_the_checkouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = served_settings()
    assert settings.index_dir == CHECKOUT / "index" and settings.knowledge_dir == CHECKOUT / "knowledge"
    assert store_file(settings) == CHECKOUT / "var" / "huashu.db"
    assert (settings.knowledge_dir / "faq").is_dir()
    # the commands beside the service read the same places
    args = build_parser().parse_args(["index", "build"])
    assert (args.index, args.knowledge) == (CHECKOUT / "index", CHECKOUT / "knowledge")
    assert build_parser().parse_args(["knowledge", "check"]).knowledge == CHECKOUT / "knowledge"
    token = build_parser().parse_args(["token", "list", "--shop", "demo"])
    monkeypatch.delenv("HUASHU_DATABASE_URL", raising=False)
    assert database_url(token) == settings.database_url
    assert list(tmp_path.iterdir()) == []  # nothing made here


def test_a_path_set_is_relative_to_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"HUASHU_INDEX_DIR": "my-index", "HUASHU_DATABASE_URL": "sqlite:///data/h.db"}
    settings = served_settings("--knowledge", "kb", env=env)
    assert (settings.index_dir, settings.knowledge_dir) == (Path("my-index"), Path("kb"))
    assert settings.index_dir.resolve() == tmp_path / "my-index" and store_file(settings) == tmp_path / "data" / "h.db"
    flagged = served_settings("--index", "elsewhere", "--database-url", "sqlite:///x.db", env=env)
    assert flagged.index_dir == Path("elsewhere") and store_file(flagged) == tmp_path / "x.db"
    assert flagged.knowledge_dir == CHECKOUT / "knowledge"  # the one left unset
    monkeypatch.setenv("HUASHU_INDEX_DIR", "my-index")
    assert build_parser().parse_args(["index", "info"]).index == Path("my-index")


def test_from_the_checkout_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CHECKOUT)
    assert served_settings() == Settings.from_env({})  # the relative defaults, as before
    assert served_settings().index_dir == Path("index")


@pytest.mark.parametrize("own", ["index", "knowledge", "var/huashu.db"])
def test_a_folder_holding_its_own_keeps_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own: str) -> None:
    """A folder set up to run the service (its store, index or knowledge there) is not left behind."""
    if own.endswith(".db"):
        (tmp_path / own).parent.mkdir()
        (tmp_path / own).write_bytes(b"")
    else:
        (tmp_path / own).mkdir()
    monkeypatch.chdir(tmp_path)
    assert service_home() is None
    settings = served_settings()
    assert settings.index_dir.resolve() == tmp_path / "index" and store_file(settings) == tmp_path / "var" / "huashu.db"


def test_without_a_checkout_the_working_directory_is_the_home(tmp_path: Path) -> None:
    installed = tmp_path / "site-packages" / "assistant"  # a wheel: no pyproject.toml beside it
    installed.mkdir(parents=True)
    assert checkout(installed) is None and service_home(tmp_path, installed) is None
    (tmp_path / "site-packages" / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    assert checkout(installed) is None  # and no knowledge/ either


def test_the_command_finds_the_demo_knowledge_from_another_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUASHU_")}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "knowledge", "check"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(CHECKOUT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{CHECKOUT / 'knowledge'}/ is valid"), done.stdout


async def test_the_start_names_its_paths_and_a_missing_knowledge_folder(
    make_client: ClientFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-knowledge"
    settings = make_settings(index_dir=tmp_path / "index", knowledge_dir=missing)
    with caplog.at_level(logging.INFO, logger="assistant.service"):
        client = await make_client(settings, with_ranker=False)
        await client.app[keys.FIRST_START]
    (where,) = [r for r in caplog.records if r.getMessage() == "service paths"]
    fields: dict[str, Any] = where.__dict__
    assert (fields["index_dir"], fields["knowledge_dir"]) == (str(tmp_path / "index"), str(missing))
    assert fields["store"].endswith("(a throwaway SQLite store)")
    (said,) = [r for r in caplog.records if r.levelno == logging.ERROR and "knowledge" in r.getMessage()]
    assert said.__dict__["path"] == str(missing) and "HUASHU_KNOWLEDGE_DIR" in said.__dict__["fix"]
    ready = await client.get("/readyz")
    assert ready.status == 503 and str(missing) in (await ready.json())["error"]

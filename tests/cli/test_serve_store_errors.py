"""`huashu serve` with a store it cannot open says so in one `huashu:` line, as the admin
commands do, and exits non-zero: no traceback, and no "listening on" first (a user test: a
database that did not exist printed the listening line, then two chained tracebacks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from tests.conftest import POSTGRES_URL

POSTGRES_SERVER = POSTGRES_URL.rsplit("/", 1)[0]  # postgresql://postgres@127.0.0.1:5432


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(tmp_path: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUASHU_")}
    env["HUASHU_LOG_JSON"] = "false"
    return subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--port", str(free_port()), "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )


def said(done: subprocess.CompletedProcess[str]) -> str:
    """The one line on stderr (and nothing claiming to listen on stdout)."""
    assert done.returncode != 0, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert "listening" not in done.stdout + done.stderr, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_postgres_database_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    url = f"{POSTGRES_SERVER}/ut_missing_{uuid.uuid4().hex[:12]}"
    line = said(serve(tmp_path, url))
    assert line.startswith(f"huashu: cannot open the database at {url}: "), line
    assert "does not exist" in line, line


def test_a_postgres_port_nothing_listens_on_is_one_line(tmp_path: Path) -> None:
    line = said(serve(tmp_path, "postgresql://postgres@127.0.0.1:1/x"))
    assert line.startswith("huashu: cannot open the database at postgresql://postgres@127.0.0.1:1/x: "), line
    assert "Connection refused" in line, line


def test_a_password_in_the_url_is_not_said(tmp_path: Path) -> None:
    line = said(serve(tmp_path, "postgresql://postgres:hunter2@127.0.0.1:1/x"))
    assert "hunter2" not in line and "postgresql://postgres:***@127.0.0.1:1/x" in line, line


def test_a_sqlite_path_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    url = f"sqlite:///{tmp_path}/plain/huashu.db"
    line = said(serve(tmp_path, url))
    assert line.startswith(f"huashu: cannot open the database at {url}: "), line
    assert "is a file" in line or "not a directory" in line.lower(), line

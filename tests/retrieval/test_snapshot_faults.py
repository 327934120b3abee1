"""Damaged manifests and killed builds (issue 10, item 8): a manifest missing a checksum or with a
wrongly typed field is refused with one line naming it (it was a traceback); the `.build-*`
folder of a build killed with -9 is removed at the next start, and a running build's is not."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.retrieval.snapshot import BuildReport, SnapshotError, current_snapshot_dir, load_snapshot


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("cache"))
    return dst


def damage(index_dir: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    path = current_snapshot_dir(index_dir) / "manifest.json"  # type: ignore[operator]
    manifest = json.loads(path.read_text())
    changed = change(manifest)
    path.write_text(json.dumps(manifest if changed is None else changed))


def drop_checksum(m: dict[str, Any]) -> None:
    del m["files"]["keys.faiss"]["sha256"]


def entries_as_text(m: dict[str, Any]) -> None:
    m["entries"] = "many"


def files_as_list(m: dict[str, Any]) -> None:
    m["files"] = ["keys.faiss"]


def no_vector_index(m: dict[str, Any]) -> None:
    del m["vector_index"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (drop_checksum, r"'keys\.faiss' has no checksum \('sha256'\)"),
        (entries_as_text, r"field 'entries' is str, expected integer"),
        (files_as_list, r"field 'files' is list, expected object"),
        (no_vector_index, r"manifest has no 'vector_index'"),
        (lambda m: [m], r"manifest is a JSON list, expected an object"),
    ],
)
def test_a_damaged_manifest_is_one_line(
    demo_index: tuple[Path, BuildReport], tmp_path: Path, change: Callable[[dict[str, Any]], Any], said: str
) -> None:
    index_dir = copy_index(demo_index[0], tmp_path / "index")
    damage(index_dir, change)
    with pytest.raises(SnapshotError, match=said) as caught:
        load_snapshot(index_dir)
    assert "\n" not in str(caught.value) and "manifest.json" in str(caught.value)


BUILDER = """
import sys, tempfile
from pathlib import Path
from assistant.retrieval.snapshot_checks import lock_build
tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=sys.argv[1]))
(tmp / "entries.jsonl").write_text("half written")
lock = lock_build(tmp)
print(tmp.name, flush=True)
sys.stdin.read()
"""


def start_builder(snapshots: Path) -> tuple[subprocess.Popen[str], Path]:
    """A process that does what a build does up to half-way, then waits to be killed."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", BUILDER, str(snapshots)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    folder = snapshots / proc.stdout.readline().strip()
    os.utime(folder, (0, 0))  # old enough: only its lock protects it
    return proc, folder


def test_a_killed_build_is_cleaned_at_the_next_start_and_a_running_one_is_not(
    demo_index: tuple[Path, BuildReport], tmp_path: Path
) -> None:
    index_dir = copy_index(demo_index[0], tmp_path / "index")
    snapshots = index_dir / "snapshots"
    killed, killed_folder = start_builder(snapshots)
    running, running_folder = start_builder(snapshots)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert killed_folder.is_dir()

        snapshot = load_snapshot(index_dir)  # the next start: the old snapshot serves

        assert snapshot.manifest["version"] == demo_index[1].version
        assert not killed_folder.exists()
        assert running_folder.is_dir()  # its build still holds the lock
    finally:
        running.kill()
        running.wait()

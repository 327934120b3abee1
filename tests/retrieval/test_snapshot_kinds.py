"""A snapshot made for another setup (model, dimension, format) is refused as `SnapshotMismatch`,
naming what differs; a damaged one as a plain `SnapshotError`: the service rebuilds only the
latter (two replicas on different models would otherwise rebuild each other's for ever)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.retrieval.snapshot import (
    FORMAT,
    BuildReport,
    SnapshotError,
    SnapshotMismatch,
    current_snapshot_dir,
    load_snapshot,
)
from tests.retrieval.test_snapshot import copy_index


def test_another_model_is_a_mismatch_naming_both(demo_index: tuple[Path, BuildReport]) -> None:
    with pytest.raises(SnapshotMismatch, match=r"built with model .* rebuild") as caught:
        load_snapshot(demo_index[0], model="st:other")
    assert (caught.value.field, caught.value.found, caught.value.expected) == (
        "model",
        demo_index[1].model,
        "st:other",
    )


def test_another_dimension_is_a_mismatch(demo_index: tuple[Path, BuildReport]) -> None:
    with pytest.raises(SnapshotMismatch, match="dimension") as caught:
        load_snapshot(demo_index[0], dimension=7)
    assert (caught.value.field, caught.value.expected) == ("dimension", 7)


def test_another_format_is_a_mismatch(demo_index: tuple[Path, BuildReport], tmp_path: Path) -> None:
    index_dir = copy_index(demo_index[0], tmp_path / "index")
    manifest = current_snapshot_dir(index_dir) / "manifest.json"  # type: ignore[operator]
    fields = json.loads(manifest.read_text())
    fields["format"] = FORMAT + 1
    manifest.write_text(json.dumps(fields))
    with pytest.raises(SnapshotMismatch, match="snapshot format") as caught:
        load_snapshot(index_dir)
    assert (caught.value.field, caught.value.found, caught.value.expected) == ("format", FORMAT + 1, FORMAT)


@pytest.mark.parametrize("damage", ["truncated", "missing", "manifest"])
def test_a_damaged_snapshot_is_not_a_mismatch(
    demo_index: tuple[Path, BuildReport], tmp_path: Path, damage: str
) -> None:
    index_dir = copy_index(demo_index[0], tmp_path / "index")
    folder = current_snapshot_dir(index_dir)
    assert folder is not None
    if damage == "truncated":
        (folder / "keys.faiss").write_bytes(b"junk")
    elif damage == "missing":
        (folder / "replies.npy").unlink()
    else:
        (folder / "manifest.json").write_text("{")
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(index_dir, model=demo_index[1].model)
    assert not isinstance(caught.value, SnapshotMismatch)

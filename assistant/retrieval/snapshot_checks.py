"""What a snapshot's manifest must hold, and the leftovers of killed builds (issue 10, item 8).

`check_manifest` refuses a manifest with a missing or wrongly typed field with one line naming
the field (it used to be a `KeyError` or `AttributeError` traceback). `clean_leftovers` removes
the `.build-*` folders of builds that died (kill -9, power loss): a running build holds an
exclusive `flock` on its folder, so only a folder whose lock can be taken is removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from pathlib import Path
from typing import Any

# A folder younger than this may belong to a build that created it and has not locked it yet.
_GRACE_S = 5.0

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "format": int,
    "version": str,
    "model": str,
    "dimension": int,
    "entries": int,
    "keys": int,
    "vector_index": str,
    "files": dict,
}


def check_manifest(path: Path, manifest: Any) -> dict[str, Any]:
    """`manifest` if it has every field with the right type; else `ValueError` naming the field."""
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: manifest is a JSON {type(manifest).__name__}, expected an object")
    for name, kind in _REQUIRED.items():
        if name not in manifest:
            raise ValueError(f"{path}: manifest has no {name!r}")
        value = manifest[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{path}: manifest field {name!r} is {type(value).__name__}, expected {_name(kind)}")
    for file, meta in manifest["files"].items():
        if not isinstance(meta, dict):
            raise ValueError(f"{path}: manifest entry of {file!r} is not an object")
        if not isinstance(meta.get("sha256"), str):
            raise ValueError(f"{path}: manifest entry of {file!r} has no checksum ('sha256')")
        if not isinstance(meta.get("bytes"), int) or isinstance(meta.get("bytes"), bool):
            raise ValueError(f"{path}: manifest entry of {file!r} has no size ('bytes')")
    return manifest


def _name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"dict": "object", "str": "string", "int": "integer"}.get(k.__name__, k.__name__) for k in kinds)


def lock_build(folder: Path) -> int:
    """An exclusive lock on a build's `folder`, held while the returned descriptor is open (the
    kernel releases it when the build dies); close it with `os.close` when the build ends."""
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def clean_leftovers(snapshots: Path) -> list[str]:
    """Remove the `.build-*` folders (and `.CURRENT-*` files) that no running build holds."""
    removed: list[str] = []
    if not snapshots.is_dir():
        return removed
    now = time.time()
    for leftover in sorted(snapshots.glob(".build-*")):
        try:
            if now - leftover.stat().st_mtime < _GRACE_S:
                continue
            fd = os.open(leftover, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a build is writing it
        finally:
            os.close(fd)
        shutil.rmtree(leftover, ignore_errors=True)
        removed.append(leftover.name)
    for stale in snapshots.parent.glob(".CURRENT-*"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime >= _GRACE_S:
                stale.unlink()
                removed.append(stale.name)
    return removed

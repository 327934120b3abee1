"""A knowledge folder <-> `KnowledgeRow`s: the files of `knowledge/` as the store's import and
export format.

`read_rows(folder)` validates the whole folder with the loader first (every problem as
`file:line: field: what`, one `KnowledgeError`) and only then returns its rows, so nothing is
imported from a folder with any bad file. `write_files(rows, folder)` writes the same formats
back (YAML lists, JSONL lines, `shop.yaml` a mapping); the files load to the same entries.

The store keeps each row's data, not its text, so a file is written from its rows. Written over
the owner's own folder (an export back where the knowledge was imported from), a file whose rows
are those it already holds is left as it is, byte for byte, comments and layout included; a
changed YAML file keeps its opening comments and, entry by entry, the text of every entry that did
not change (with the comments below it), the changed and new entries written anew (`_spliced`).
A file the folder does not hold yet (a new folder, the scratch folder a snapshot is built from)
has no comments to keep.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from assistant.knowledge.loader import KnowledgeBase, KnowledgeError, load_knowledge
from assistant.knowledge.rows import has_duplicate_keys, load_yaml
from assistant.storage.protocols import KnowledgeRow

SHOP_FILE = "shop.yaml"
"""The shop's own mapping (name, description, ...): one row at position 0 with no entry id."""


def shop_name(rows: Sequence[KnowledgeRow]) -> str:
    """The `name` of the shop's shop.yaml among `rows`, stripped ('' when none): the shop's name
    (an upload or import of a shop.yaml naming the shop renames it)."""
    for row in rows:
        if row.file == SHOP_FILE and isinstance(row.data, dict) and str(row.data.get("name") or "").strip():
            return str(row.data["name"]).strip()
    return ""


def knowledge_files(folder: Path) -> list[Path]:
    """The files the loader reads in `folder`, in its order (others, like README.md, are not knowledge)."""
    faq = folder / "faq"
    found = [folder / SHOP_FILE] if (folder / SHOP_FILE).exists() else []
    found += sorted(faq.glob("*.yaml")) + sorted(faq.glob("*.yml"))
    found += [folder / n for n in ("policies.yaml", "promotions.yaml", "products.yaml") if (folder / n).exists()]
    found += sorted(folder.glob("past_replies*.jsonl"))
    return found


def _plain(value: Any) -> Any:
    """YAML's dates as ISO text, so every row is plain JSON (the loader reads both)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _items(path: Path, display: str) -> Iterator[Any]:
    if path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8").split("\n"):  # not splitlines: U+2028 is text
            if line.strip():
                yield json.loads(line)
        return
    data = load_yaml(path.read_text(encoding="utf-8"))  # the loader's parser: what it passed, this reads
    if display == SHOP_FILE:
        yield data
    else:
        yield from data or []


def read_rows(folder: Path) -> list[KnowledgeRow]:
    """Every row of the knowledge folder, after the loader found no problem in any file."""
    load_knowledge(folder)  # raises KnowledgeError listing every problem; nothing is read before
    rows: list[KnowledgeRow] = []
    for path in knowledge_files(folder):
        display = path.relative_to(folder).as_posix()
        for position, item in enumerate(_items(path, display)):
            data = _plain(item)
            entry_id = "" if display == SHOP_FILE else str(data.get("id", ""))
            rows.append(KnowledgeRow(display, position, entry_id, data))
    return rows


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)


def write_files(rows: Sequence[KnowledgeRow], folder: Path) -> list[Path]:
    """Write `rows` as knowledge files under `folder` (created; files of other names are left
    alone); the paths written. A row's `file` must stay inside the folder."""
    by_file: dict[str, list[KnowledgeRow]] = {}
    for row in rows:
        by_file.setdefault(row.file, []).append(row)
    root = folder.resolve()
    written: list[Path] = []
    for name, file_rows in sorted(by_file.items()):
        path = (folder / name).resolve()
        if root not in path.parents:
            raise KnowledgeError([f"{name}: a knowledge file must stay inside the knowledge folder"])
        ordered = [r.data for r in sorted(file_rows, key=lambda r: r.position)]
        old = _existing(path)
        if old is not None and _holds(old, path, name, ordered):
            continue  # unchanged: the owner's file stays as it is
        if path.suffix == ".jsonl":
            text = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in ordered)
        elif name == SHOP_FILE:
            text = _header(old) + _yaml(ordered[0])
        else:
            text = _spliced(old, ordered)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _existing(path: Path) -> str | None:
    """The text of a file already at `path` (None when there is none, or it is no UTF-8 text)."""
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def _parsed(text: str, jsonl: bool) -> Any:
    """What a knowledge file's text holds as plain rows (None when it does not parse, or gives a
    key twice: the loader refuses that, so such a text is never kept as it is)."""
    try:
        if jsonl:
            return [_plain(json.loads(line)) for line in text.split("\n") if line.strip()]
        return None if has_duplicate_keys(text) else _plain(load_yaml(text))
    except (yaml.YAMLError, json.JSONDecodeError, ValueError):
        return None


def _holds(text: str, path: Path, name: str, ordered: list[Any]) -> bool:
    """Whether the file's text holds exactly these rows (in this order)."""
    return bool(_parsed(text, path.suffix == ".jsonl") == (ordered[0] if name == SHOP_FILE else ordered))


def _header(text: str | None) -> str:
    """The comment lines (and blank lines among them) a YAML file opens with."""
    lines = (text or "").splitlines(keepends=True)
    end = 0
    for n, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        if line.lstrip().startswith("#"):
            end = n + 1
    return "".join(lines[:end])


def _blocks(text: str) -> list[tuple[Any, str]] | None:
    """Each entry of a YAML list file with its text, from its `- ` line to the next entry's (the
    comments after an entry go with it); None unless every entry starts a line with `- `."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.SequenceNode) or not root.value:
        return None
    lines = text.splitlines(keepends=True)
    starts = [node.start_mark.line for node in root.value]
    if any(not lines[n].startswith("- ") for n in starts):
        return None
    ends = [*starts[1:], len(lines)]
    blocks = []
    for start, end in zip(starts, ends, strict=True):
        block = "".join(lines[start:end])
        blocks.append((_parsed(block, jsonl=False), block if block.endswith("\n") else block + "\n"))
    return blocks


def _spliced(old: str | None, ordered: list[Any]) -> str:
    """A YAML list file of `ordered` written over `old`: its opening comments, and the text of each
    entry `old` holds unchanged, the others written anew. Written whole (after the comments) when
    the result would not read back as `ordered` (an entry's own layout the splice cannot keep)."""
    header = _header(old)
    plain = header + _yaml(ordered)
    blocks = _blocks(old) if old is not None else None
    if not blocks:
        return plain
    kept: dict[str, str] = {}
    for data, block in blocks:
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
            kept.setdefault(json.dumps(data[0], sort_keys=True, ensure_ascii=False), block)
    body = "".join(kept.get(json.dumps(d, sort_keys=True, ensure_ascii=False)) or _yaml([d]) for d in ordered)
    text = header + body
    return text if _parsed(text, jsonl=False) == ordered else plain


def row_lines(rows: Sequence[KnowledgeRow], row: KnowledgeRow) -> range:
    """The lines (1-based) `row` takes in its file as `write_files` writes `rows` (which hold it):
    a loader's `file:line` problem inside them is about that row."""
    ordered = sorted((r for r in rows if r.file == row.file), key=lambda r: r.position)
    index = next(i for i, r in enumerate(ordered) if r.position == row.position)
    if row.file.endswith(".jsonl"):
        return range(index + 1, index + 2)
    if row.file == SHOP_FILE:
        return range(1, _yaml(ordered[0]).count("\n") + 1)
    lines = _yaml([r.data for r in ordered]).splitlines()
    starts = [n for n, line in enumerate(lines, 1) if line.startswith("- ")] + [len(lines) + 1]
    return range(starts[index], starts[index + 1])


def materialise(rows: Sequence[KnowledgeRow], folder: Path) -> KnowledgeBase:
    """Write `rows` into an empty `folder` and load them: the knowledge base a snapshot is built
    from (raises `KnowledgeError` with every `file:line` problem)."""
    write_files(rows, folder)
    return load_knowledge(folder)


def check_rows(rows: Sequence[KnowledgeRow]) -> KnowledgeBase:
    """Validate rows as the loader would, in a scratch folder (an entry edited through the API)."""
    with tempfile.TemporaryDirectory(prefix="huashu-check-") as scratch:
        return materialise(rows, Path(scratch))

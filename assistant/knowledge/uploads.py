"""Knowledge files uploaded through the admin API: checked with the shop's other files, as a
folder would be, before anything is stored.

`merge_uploads(current, uploads, replace_all)` puts the uploaded files (their raw bytes, so a
problem is reported at the uploader's own `file:line`) into a scratch folder beside the shop's
other files (written back from the store), validates the whole folder with the loader and
returns the rows the shop will have. Any bad file raises one `KnowledgeError` listing every
problem, so an upload changes nothing unless every file is good. A file that holds nothing (empty,
comments only, `[]`) that the shop does not hold is skipped, as the loader reads such a folder, and
named (`empty_uploads`, for the answer), unless the upload holds nothing else: an upload of nothing
but such files is refused naming each (`empty_problem`: it answered 200 and changed nothing, a user
test), and refusing every folder with one empty file in it was the opposite mistake (a second
reading: a comment-only promotions.yaml that `huashu knowledge check` passes). Emptying a file the
shop holds is said with `remove_missing`.

The store keeps rows, not texts (docs/shops.md): a stored file is written back from its rows, without
its comments, so a line of it is a line of no file the admin has. `blame_upload` tells a repeated id
at the uploaded file's line and names the stored entry by its file and place instead.

`removed_entries(current, rows)` names the entries an upload would drop: an entry added or
changed through the admin API lives in the file it was given (`faq/after_sale.yaml`), so an
upload of that file without it removes it. The route refuses such an upload unless the caller
confirms the removal (`remove_missing=true`).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from assistant.knowledge.files import SHOP_FILE, read_rows, write_files
from assistant.knowledge.loader import QA_MARK, KnowledgeError
from assistant.knowledge.rows import load_yaml
from assistant.storage.protocols import KnowledgeRow

KNOWLEDGE_PATH = re.compile(
    r"^(shop\.yaml|policies\.yaml|promotions\.yaml|products\.yaml"
    r"|faq/[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}\.ya?ml"
    r"|past_replies[A-Za-z0-9_.-]{0,100}\.jsonl)$"
)
"""The names the loader reads (knowledge/README.md): anything else is not a knowledge file."""


def path_problem(name: str) -> str | None:
    """What is wrong with `name` as a knowledge file's path, or None when the loader reads it."""
    if KNOWLEDGE_PATH.match(name) and ".." not in name:
        return None
    return (
        f"{name}: not a knowledge file name (shop.yaml, faq/NAME.yaml, policies.yaml, "
        "promotions.yaml, products.yaml, past_replies.jsonl or past_replies_NAME.jsonl)"
    )


def holds_nothing(name: str, data: bytes) -> bool:
    """Whether the knowledge file `name` holds no row at all: empty, blank lines or comments only,
    an empty list (a file that does not parse holds something: the loader names its problem)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if name.endswith(".jsonl"):
        return not text.strip()
    try:
        value = load_yaml(text)
    except (yaml.YAMLError, ValueError):
        return False
    return value is None or value == [] or value == {}


EMPTY = "holds no entries (an empty file, or only comments)"


def empty_problem(name: str, stored: int, *, remove_missing: bool, skipped: bool = False) -> str | None:
    """What is said of an uploaded file `name` that holds nothing, the shop's file of that name
    holding `stored` rows; None when that is the caller's explicit wish (`remove_missing` for a file
    the shop holds: its entries are removed) or the file is `skipped` (one the shop does not hold,
    beside files that store something: `empty_uploads` names it)."""
    if name == SHOP_FILE and (stored or not skipped):
        return "shop.yaml: holds nothing: it needs a mapping with a non-empty `name` (see knowledge/README.md)"
    said = f"{name}: {EMPTY}"
    if not stored:
        return None if skipped else f"{said}: nothing to store"
    if remove_missing:
        return None
    return (
        f"{said}; the shop's {name} has {stored}: to remove every entry of {name}, upload it again "
        "with `remove_missing=true` (or delete the entries one by one)"
    )


def _skipped(current: Sequence[KnowledgeRow], uploads: Mapping[str, bytes], *, remove_missing: bool) -> list[str]:
    """The uploaded files that hold nothing and that the shop does not hold, skipped when the upload
    does something else (a file that stores something, or a stored file emptied with
    `remove_missing`); none when it does not: that upload is refused (`empty_problem`)."""
    stored = {r.file for r in current}
    empty = [name for name, data in uploads.items() if holds_nothing(name, data)]
    if len(empty) == len(uploads) and not (remove_missing and stored.intersection(empty)):
        return []
    return sorted(name for name in empty if name not in stored)


def empty_uploads(
    current: Sequence[KnowledgeRow], uploads: Mapping[str, bytes], *, remove_missing: bool = False
) -> list[str]:
    """What an answer says of each uploaded file `merge_uploads` skipped: one that holds nothing,
    which the shop does not hold, beside files that store something (`file: holds no entries ...:
    skipped, nothing stored from it`), in path order."""
    return [
        f"{name}: {EMPTY}: skipped, nothing stored from it"
        for name in _skipped(current, uploads, remove_missing=remove_missing)
    ]


def merge_uploads(
    current: Sequence[KnowledgeRow],
    uploads: Mapping[str, bytes],
    *,
    replace_all: bool = False,
    remove_missing: bool = False,
) -> list[KnowledgeRow]:
    """The shop's rows once `uploads` (path -> file bytes) replace the files of the same names
    (with `replace_all`, the uploads are the whole knowledge); `KnowledgeError` with every
    `file:line: what` when any file is bad, the upload holds nothing at all, a file the shop holds
    is uploaded empty without `remove_missing` (`empty_problem`), or any name is not a knowledge
    file. A file that holds nothing beside others is skipped (`empty_uploads` names it)."""
    problems = [p for p in map(path_problem, uploads) if p]
    if not uploads:
        problems.append("files: upload at least one knowledge file")
    if problems:
        raise KnowledgeError(problems)
    stored = {name: sum(1 for r in current if r.file == name) for name in uploads}
    skipped = set(_skipped(current, uploads, remove_missing=remove_missing))
    empty = [n for n, data in uploads.items() if holds_nothing(n, data)]
    said = ((n, empty_problem(n, stored[n], remove_missing=remove_missing, skipped=n in skipped)) for n in empty)
    if problems := [p for _, p in said if p]:
        raise KnowledgeError(problems)
    kept = [] if replace_all else [r for r in current if r.file not in uploads]
    with tempfile.TemporaryDirectory(prefix="huashu-upload-") as scratch:
        folder = Path(scratch)
        write_files(kept, folder)
        for name, data in uploads.items():
            if name in skipped:  # an empty shop.yaml would be read as a row naming no shop
                continue
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            return read_rows(folder)
        except KnowledgeError as exc:  # the loader names the folder: the server's scratch folder here
            raise KnowledgeError([_unfolded(p, scratch) for p in exc.problems]) from None


def _unfolded(problem: str, folder: str) -> str:
    """A loader's problem about the whole `folder` said of the upload (no server path in an answer)."""
    if problem.startswith(f"{folder}: no knowledge entries found"):
        return "files: the knowledge would hold no entries (see knowledge/README.md)"
    return problem.replace(folder, "files")


_DUPLICATE = re.compile(
    r"^(?P<here>[^\s:]+):(?P<line>\d+): id (?P<id>'[^']*'|\"[^\"]*\") is already used at (?P<there>[^\s:]+:\d+)$"
)


def blame_upload(problem: str, uploads: Mapping[str, bytes], current: Sequence[KnowledgeRow], entry_url: str) -> str:
    """A repeated id told at the uploaded file, which is the one to fix (the loader names whichever
    it read second: a user test got `faq/pre_sale.yaml:57: id 'faq-ship-eta' is already used at
    faq/pay.yaml:8` for an upload of faq/pay.yaml), and a stored file's entry by its file and place:
    the store's copy of that file, written from its rows, is no file the admin has (a user test got
    faq/after_sale.yaml:1 for the entry `huashu knowledge check` finds at line 2, below a comment).
    `entry_url` is where the stored entry is read (`{id}` in it stands for the entry's id)."""
    found = _DUPLICATE.match(problem)
    if found is None:
        return problem
    here, there = (found["here"], f"{found['here']}:{found['line']}"), found["there"]
    if here[0] not in uploads and there.split(":")[0] in uploads:  # the uploaded file second: swap
        here, there = (there.split(":")[0], there), f"{here[0]}:{found['line']}"
    file = there.split(":")[0]
    if file in uploads or here[0] not in uploads:
        return f"{here[1]}: id {found['id']} is already used at {there}"
    entry_id = found["id"][1:-1]
    rows = sorted((r for r in current if r.file == file), key=lambda r: r.position)
    # a product's question and answer (`{product}-qa-{n}`) is read with its product
    owners = (entry_id, entry_id.rsplit(QA_MARK, 1)[0])
    place = next((n for owner in owners for n, r in enumerate(rows, 1) if r.entry_id == owner), None)
    if place is None:
        return f"{here[1]}: id {found['id']} is already used in the shop's {file} (stored, not in this upload)"
    url = entry_url.replace("{id}", rows[place - 1].entry_id)
    return (
        f"{here[1]}: id {found['id']} is already used by the shop's entry {place} of {file} "
        f"(stored, not in this upload: GET {url})"
    )


def removed_entries(current: Sequence[KnowledgeRow], rows: Sequence[KnowledgeRow]) -> list[KnowledgeRow]:
    """The entries of `current` (rows with an id) whose id `rows` no longer has, in file order: what
    storing `rows` would remove. An entry moved to another file keeps its id and is not removed."""
    kept = {r.entry_id for r in rows if r.entry_id}
    gone = [r for r in current if r.entry_id and r.entry_id not in kept]
    return sorted(gone, key=lambda r: (r.file, r.position))

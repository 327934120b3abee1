"""Knowledge files uploaded through the admin API: checked with the shop's other files, as a
folder would be, before anything is stored.

`merge_uploads(current, uploads, replace_all)` puts the uploaded files (their raw bytes, so a
problem is reported at the uploader's own `file:line`) into a scratch folder beside the shop's
other files (written back from the store), validates the whole folder with the loader and
returns the rows the shop will have. Any bad file raises one `KnowledgeError` listing every
problem, so an upload changes nothing unless every file is good.

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

from assistant.knowledge.files import read_rows, write_files
from assistant.knowledge.loader import KnowledgeError
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


def merge_uploads(
    current: Sequence[KnowledgeRow], uploads: Mapping[str, bytes], *, replace_all: bool = False
) -> list[KnowledgeRow]:
    """The shop's rows once `uploads` (path -> file bytes) replace the files of the same names
    (with `replace_all`, the uploads are the whole knowledge); `KnowledgeError` with every
    `file:line: what` when any file is bad or any name is not a knowledge file."""
    problems = [p for p in map(path_problem, uploads) if p]
    if not uploads:
        problems.append("files: upload at least one knowledge file")
    if problems:
        raise KnowledgeError(problems)
    kept = [] if replace_all else [r for r in current if r.file not in uploads]
    with tempfile.TemporaryDirectory(prefix="huashu-upload-") as scratch:
        folder = Path(scratch)
        write_files(kept, folder)
        for name, data in uploads.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return read_rows(folder)


def removed_entries(current: Sequence[KnowledgeRow], rows: Sequence[KnowledgeRow]) -> list[KnowledgeRow]:
    """The entries of `current` (rows with an id) whose id `rows` no longer has, in file order: what
    storing `rows` would remove. An entry moved to another file keeps its id and is not removed."""
    kept = {r.entry_id for r in rows if r.entry_id}
    gone = [r for r in current if r.entry_id and r.entry_id not in kept]
    return sorted(gone, key=lambda r: (r.file, r.position))

"""Knowledge routes of the admin API: a shop's knowledge in the store, changed while it serves.

    POST   /v1/admin/shops/{shop}/knowledge?replace=files|all&remove_missing=false|true
                                                                 upload knowledge files
    GET    /v1/admin/shops/{shop}/knowledge/entries?file=...     the rows, in file order
    POST   /v1/admin/shops/{shop}/knowledge/entries              add one entry
    GET    /v1/admin/shops/{shop}/knowledge/entries/{id}
    PUT    /v1/admin/shops/{shop}/knowledge/entries/{id}         replace one entry
    DELETE /v1/admin/shops/{shop}/knowledge/entries/{id}

An upload is `multipart/form-data` (each part's name, else its file name, is the knowledge path,
`faq/pre_sale.yaml`) or JSON `{"files": {"faq/pre_sale.yaml": "- id: ..."}}`. The uploaded files
replace the files of the same names (`replace=all`: they are the whole knowledge); every file is
validated with the shop's others first, and any problem answers 422 listing every
`file:line: what` with nothing changed (for one entry, each problem of one of its fields names
`entry.<field>`): a line of an uploaded file is a line of that file as sent; a stored entry an
uploaded id repeats is named by its file and place (`blame_upload`: the store keeps rows, so its
copy of a file has none of the admin's lines). An uploaded file that holds no entries is a 422
naming it (it was a silent 200), unless `remove_missing=true` empties a file the shop holds. An
upload that would remove entries, those of a replaced file (or, with `replace=all`, of any file)
that the uploaded files do not have, answers 409 with nothing changed, naming each (`would_remove`:
an entry added or changed through these routes lives in the file it was given, and a user test
lost three that way) unless `remove_missing=true` confirms it; the answer then lists them
(`removed`). An upload of the files as the shop holds them stores nothing
(`unchanged`) and rebuilds only a shop whose served snapshot is older (a failed build,
`rebuild=false`). Every change answers the new `knowledge_revision` and starts the shop's rebuild
(`job`: poll `GET /v1/admin/jobs/{id}`; the change is served once it is done, without a restart).
`?rebuild=false` leaves the snapshot stale instead, for a batch of edits followed by one
`POST .../rebuild`. An uploaded shop.yaml that has a `name` makes it the shop's name (`name`,
`renamed_from` in the answer), as `huashu shop import` does: the shop's knowledge says what the
shop is called.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from assistant.knowledge.calendar import expiry_warning, wall_clock
from assistant.knowledge.files import SHOP_FILE, check_rows, row_lines
from assistant.knowledge.loader import KnowledgeError
from assistant.knowledge.rows import id_not_text, is_number, missing_hint, unknown_hint
from assistant.knowledge.uploads import blame_upload, empty_uploads, merge_uploads, path_problem, removed_entries
from assistant.service import keys
from assistant.service.admin.index import JobOut, rebuild_soon, rebuild_wanted
from assistant.service.admin.shops import existing_shop
from assistant.service.api import json_bytes
from assistant.service.auth import authenticate
from assistant.service.errors import (
    BadRequest,
    Conflict,
    FieldError,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
    error_body,
)
from assistant.service.schemas import ErrorItem, decode
from assistant.storage.protocols import KnowledgeRow, UnknownShop, revision_of
from assistant.storage.shop_files import take_shop_name

UPLOAD_TYPES = ("multipart/form-data", "application/json")


class UploadBody(msgspec.Struct, forbid_unknown_fields=True):
    """JSON form of a knowledge upload: each file's path and its whole text."""

    files: Annotated[
        dict[str, str],
        msgspec.Meta(min_length=1, description="knowledge path (`faq/pre_sale.yaml`) -> the file's text"),
    ]


class Uploaded(msgspec.Struct):
    ok: bool
    shop: str
    files: Annotated[list[str], msgspec.Meta(description="the files replaced or added")]
    rows: Annotated[int, msgspec.Meta(description="rows the shop's knowledge holds now (shop.yaml's included)")]
    entries: Annotated[int, msgspec.Meta(description="entries the shop's knowledge holds now (rows with an id)")]
    knowledge_revision: str
    job: Annotated[
        JobOut | None,
        msgspec.Meta(description="the rebuild that serves the change (none with `?rebuild=false`)"),
    ] = None
    warnings: Annotated[
        list[str],
        msgspec.Meta(description="stored, but worth a look: a promotion whose `ends` has passed is never suggested"),
    ] = []
    removed: Annotated[
        list[str],
        msgspec.Meta(
            description="the ids of the entries the upload removed (only with `remove_missing=true`; "
            "without it an upload that would remove any is a 409)"
        ),
    ] = []
    unchanged: Annotated[
        bool,
        msgspec.Meta(
            description="the uploaded files are what the shop holds already: nothing was stored, no new "
            "revision; no rebuild (`job` null) unless the snapshot served was built from older knowledge"
        ),
    ] = False
    name: Annotated[
        str,
        msgspec.Meta(
            description="the shop's name now: an uploaded shop.yaml that has a `name` makes it the shop's name "
            "(the shop record, `GET /v1/admin/shops/{shop}`, the admin page's shop picker)"
        ),
    ] = ""
    renamed_from: Annotated[
        str | None,
        msgspec.Meta(description="the shop's name before, when the uploaded shop.yaml renamed it (else null)"),
    ] = None


class UploadRefused(msgspec.Struct):
    """409: the upload would remove entries the uploaded files do not have; nothing was changed.
    The error envelope, each entry also an `errors` item under its file, and `would_remove`."""

    ok: Literal[False]
    status: int
    error: str
    errors: list[ErrorItem]
    request_id: str
    would_remove: Annotated[
        list[str],
        msgspec.Meta(
            description="the ids of the entries the upload would remove, in file order: add them to the "
            "uploaded files to keep them, or upload again with `remove_missing=true` to remove them"
        ),
    ]


class EntryBody(msgspec.Struct, forbid_unknown_fields=True):
    """One knowledge row as its file has it (a FAQ entry, a policy, a product, a past reply)."""

    entry: Annotated[dict[str, Any], msgspec.Meta(description="the row's fields, `id` included")]
    file: Annotated[
        str | None,
        msgspec.Meta(description="the knowledge file it belongs to (required to add; to move an entry on PUT)"),
    ] = None


class EntryOut(msgspec.Struct):
    id: str
    file: str
    position: int
    entry: dict[str, Any]


class EntryResponse(msgspec.Struct):
    ok: bool
    shop: str
    entry: EntryOut
    knowledge_revision: str
    job: Annotated[
        JobOut | None,
        msgspec.Meta(description="the rebuild that serves the change (none with `?rebuild=false`)"),
    ] = None
    warnings: Annotated[
        list[str],
        msgspec.Meta(description="stored, but worth a look: a promotion whose `ends` has passed is never suggested"),
    ] = []


class EntriesResponse(msgspec.Struct):
    ok: bool
    shop: str
    knowledge_revision: str
    entries: list[EntryOut]


class Deleted(msgspec.Struct):
    ok: bool
    shop: str
    deleted: str
    knowledge_revision: str
    job: Annotated[
        JobOut | None,
        msgspec.Meta(description="the rebuild that serves the change (none with `?rebuild=false`)"),
    ] = None


def _invalid(problems: list[str], what: str) -> Unprocessable:
    """422 listing every `file:line: what`, each under the file it concerns."""
    errors = [FieldError(p.split(":", 1)[0] if ":" in p else "files", p) for p in problems]
    return Unprocessable(f"{len(problems)} problem(s) in {what}; nothing was changed", errors)


_PROBLEM_AT = re.compile(
    r"^(?P<file>[^\s:]+):(?P<line>\d+): (?:(?P<name>[^\s:`]+): |missing required field `(?P<missing>[^`]+)`)?"
)


_UNKNOWN_FIELD = re.compile(r": unknown field(?:, did you mean '[^']*'\?)? \(expected one of: (?P<known>[^)]*)\)$")


def _entry_invalid(problems: list[str], row: KnowledgeRow, lines: range) -> Unprocessable:
    """422 for one entry: a problem at the entry's own `lines` of its file is told as a field of
    the body, `entry.<field>` (`entry` for a nested field or the whole entry), not at a line of the
    stored file the admin never saw (nor will: nothing was stored); an unknown field close to a
    known one gets `did you mean`, a missing one the unknown key close to it (`rows.unknown_hint`,
    `missing_hint`). A problem elsewhere in the shop names its file, at its line."""
    located = [(problem, _PROBLEM_AT.match(problem)) for problem in problems]
    own = [(p, f if f is not None and f["file"] == row.file and int(f["line"]) in lines else None) for p, f in located]
    # the entry's fields, as the loader's "unknown field (expected one of: ...)" lists them
    listed = (_UNKNOWN_FIELD.search(p) for p, f in own if f is not None and f["name"] in row.data)
    known = next((m["known"].split(", ") for m in listed if m is not None), [])
    errors = []
    for problem, found in own:
        if found is None:  # elsewhere in the shop
            errors.append(FieldError(problem.split(":", 1)[0] if ":" in problem else "entry", problem))
            continue
        name = found["missing"] or found["name"]
        if found["missing"]:
            hint = missing_hint(name, row.data, known, "entry.")
            errors.append(FieldError(f"entry.{name}", f"entry: missing required field `{name}`{hint}"))
        elif name in row.data:
            hint = unknown_hint(name, known, "entry.") if _UNKNOWN_FIELD.search(problem) else ""
            said = f"unknown field{hint}" if hint else problem[found.end() :]
            errors.append(FieldError(f"entry.{name}", f"entry.{name}: {said}"))
        else:  # a nested field (a product's `qa` item), or the entry as a whole
            errors.append(FieldError("entry", f"entry: {problem.split(': ', 1)[1]}"))
    return Unprocessable(f"{len(problems)} problem(s) in entry {row.entry_id!r}; nothing was changed", errors)


async def _job(request: web.Request, shop: str, wanted: bool) -> JobOut | None:
    """The rebuild that serves the shop's knowledge as just changed (queued once per shop)."""
    return await rebuild_soon(request, shop) if wanted else None


async def _read_limited(read: Any, limit: int, field: str) -> bytes:
    """Read chunks until the end; 413 naming `field` past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await read():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge.on(field, f"larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _uploads(request: web.Request) -> dict[str, bytes]:
    """The uploaded files, path -> bytes, from a multipart or a JSON body."""
    limit = request.config_dict[keys.SETTINGS].max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge.on("body", f"larger than {limit} bytes")
    if request.content_type not in UPLOAD_TYPES:
        got = request.content_type or "nothing"
        raise UnsupportedMediaType.on("Content-Type", f"expected multipart/form-data or application/json, got {got}")
    if request.content_type == "application/json":
        raw = await _read_limited(lambda: request.content.read(65536), limit, "body")
        body = decode(raw, UploadBody)
        return {name: text.encode("utf-8") for name, text in body.files.items()}
    try:
        return await _multipart(request, limit)
    except (ValueError, HttpProcessingError) as exc:  # aiohttp's reader: no boundary, a broken part or header
        raise BadRequest.on("body", f"not a readable multipart/form-data body: {exc}") from None


async def _multipart(request: web.Request, limit: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader):
            raise Unprocessable.on("body", "nested multipart is not a knowledge file")
        name = part.name if part.name and path_problem(part.name) is None else part.filename or part.name or ""
        data = await _read_limited(part.read_chunk, limit - total, name or "body")
        total += len(data)
        if name in files:
            raise Unprocessable.on(name, "uploaded twice")
        files[name] = data
    return files


ENTRIES_NAMED = 10  # the ids a 409's summary names; `would_remove` and `errors` have them all


def _would_remove(shop: str, removed: list[KnowledgeRow]) -> web.Response:
    """409 naming every entry the upload would remove, each under its file, and how to proceed."""
    ids = [r.entry_id for r in removed]
    named = ", ".join(ids[:ENTRIES_NAMED]) + (
        f" and {len(ids) - ENTRIES_NAMED} more" if len(ids) > ENTRIES_NAMED else ""
    )
    them = "it" if len(ids) == 1 else "them"
    message = (
        f"the upload would remove {len(ids)} {'entry' if len(ids) == 1 else 'entries'} of shop {shop!r} that the "
        f"uploaded files do not have ({named}); nothing was changed: add {them} to the files to keep {them}, "
        f"or upload again with `remove_missing=true` to remove {them}"
    )
    errors = [
        FieldError(r.file, f"{r.file}: entry {r.entry_id!r} is not in the uploaded files: it would be removed")
        for r in removed
    ]
    body = {**error_body(Conflict.status, message, errors), "would_remove": ids}
    return json_bytes(body, status=Conflict.status)


async def upload(request: web.Request) -> web.Response:
    """Replace or add knowledge files, all validated first (422 and nothing changed otherwise); an
    upload that would remove entries is a 409 naming them unless `remove_missing=true`."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    await existing_shop(request, shop)
    replace = request.query.get("replace", "files")
    if replace not in ("files", "all"):
        raise Unprocessable.on("replace", "`files` (the uploaded files replace those of the same names) or `all`")
    remove_missing = request.query.get("remove_missing", "false")
    if remove_missing not in ("true", "false"):
        raise Unprocessable.on(
            "remove_missing",
            "`false` (the default: an upload that would remove entries is refused, naming them) "
            "or `true` (remove the entries the uploaded files do not have)",
        )
    wanted = rebuild_wanted(request)
    uploads = await _uploads(request)
    store = request.config_dict[keys.STORE]
    current = await store.knowledge_rows(shop)
    try:
        rows = await asyncio.to_thread(
            merge_uploads, current, uploads, replace_all=replace == "all", remove_missing=remove_missing == "true"
        )
    except KnowledgeError as exc:
        entry_url = f"/v1/admin/shops/{shop}/knowledge/entries/{{id}}"
        problems = [blame_upload(p, uploads, current, entry_url) for p in exc.problems]
        raise _invalid(problems, "the uploaded knowledge") from None
    removed = removed_entries(current, rows)
    if removed and remove_missing != "true":
        return _would_remove(shop, removed)
    uploaded = [r for r in rows if r.file in uploads]
    entries = sum(1 for r in rows if r.entry_id)
    # an empty file beside others is skipped: the answer names it
    warnings = [*empty_uploads(current, uploads, remove_missing=remove_missing == "true"), *_warnings(uploaded)]
    if revision_of(rows) == revision_of(current):  # the knowledge as stored: nothing to store
        revision = await store.knowledge_revision(shop)
        served = await store.active_snapshot(shop)
        # ... and nothing to rebuild, unless what is served is older (an upload with rebuild=false,
        # a failed build): sending the same files again is how an admin retries (a second reading)
        stale = served is None or served.knowledge_revision != revision
        job = await _job(request, shop, wanted) if stale else None
        said = Uploaded(True, shop, sorted(uploads), len(rows), entries, revision, job, warnings)
        said.unchanged = True
        return json_bytes(await _named(request, said, uploaded))
    revision = await store.replace_knowledge(shop, rows)
    job = await _job(request, shop, wanted)
    gone = [r.entry_id for r in removed]
    said = Uploaded(True, shop, sorted(uploads), len(rows), entries, revision, job, warnings, gone)
    return json_bytes(await _named(request, said, uploaded))


async def _named(request: web.Request, said: Uploaded, uploaded: list[KnowledgeRow]) -> Uploaded:
    """`said` with the shop's name, which an uploaded shop.yaml that names the shop changes (a user
    test: a shop created as 新茶店 stayed so after an upload of a shop.yaml naming 山野茶舍)."""
    try:
        said.renamed_from = await take_shop_name(request.config_dict[keys.STORE], said.shop, uploaded)
    except UnknownShop:  # deleted meanwhile
        raise NotFound.on("shop", f"no shop {said.shop!r}") from None
    said.name = (await existing_shop(request, said.shop)).name
    return said


def _warnings(rows: list[KnowledgeRow]) -> list[str]:
    """`entry <id> (<file>): <what>` for each stored row an admin should look at again."""
    now = wall_clock()
    found = ((row, expiry_warning(row.data, now)) for row in rows)
    return [f"entry {row.entry_id} ({row.file}): {warning}" for row, warning in found if warning]


def _out(row: KnowledgeRow) -> EntryOut:
    return EntryOut(row.entry_id, row.file, row.position, row.data)


FILES_LISTED = 10  # a shop with more knowledge files than this is not told them all in a 404


def _no_file(shop: str, wanted: str, files: list[str]) -> str:
    """What a 404 for `?file=` says: the shop's files when there are few enough to read."""
    said = f"shop {shop!r} has no knowledge file {wanted!r}"
    if not files:
        return f"{said} (it has no knowledge yet)"
    if len(files) <= FILES_LISTED:
        return f"{said}; expected one of: {', '.join(files)}"
    return f"{said} (it has {len(files)}; GET the entries without `file` to see them)"


async def entries(request: web.Request) -> web.Response:
    """The shop's rows with an id, in file order (`?file=` for one file's)."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    await existing_shop(request, shop)
    store = request.config_dict[keys.STORE]
    wanted = request.query.get("file")
    rows = sorted(await store.knowledge_rows(shop), key=lambda r: (r.file, r.position))
    if wanted is not None and not any(r.file == wanted for r in rows):
        raise NotFound.on("file", _no_file(shop, wanted, sorted({r.file for r in rows})))
    listed = [_out(r) for r in rows if r.entry_id and (wanted is None or r.file == wanted)]
    return json_bytes(EntriesResponse(True, shop, await store.knowledge_revision(shop), listed))


async def _row(request: web.Request, shop: str, entry_id: str) -> tuple[list[KnowledgeRow], KnowledgeRow]:
    rows = await request.config_dict[keys.STORE].knowledge_rows(shop)
    found = next((r for r in rows if r.entry_id and r.entry_id == entry_id), None)
    if found is None:
        raise NotFound.on("id", f"shop {shop!r} has no entry {entry_id!r}")
    return rows, found


async def entry(request: web.Request) -> web.Response:
    """One row of the shop's knowledge."""
    shop, entry_id = request.match_info["shop"], request.match_info["id"]
    await authenticate(request, role="admin", shop=shop)
    await existing_shop(request, shop)
    _, row = await _row(request, shop, entry_id)
    revision = await request.config_dict[keys.STORE].knowledge_revision(shop)
    return json_bytes(EntryResponse(True, shop, _out(row), revision))


def _entry_file(name: str | None) -> str:
    if name is None:
        raise Unprocessable.on("file", "required: the knowledge file the entry belongs to (`faq/pre_sale.yaml`)")
    problem = path_problem(name)
    if problem is not None or name == SHOP_FILE:
        raise Unprocessable.on("file", problem or "shop.yaml holds the shop, not entries (upload it instead)")
    return name


async def _put(request: web.Request, shop: str, rows: list[KnowledgeRow], row: KnowledgeRow) -> str:
    """Validate the shop's knowledge with `row` in it, then store it; the new revision."""
    changed = [r for r in rows if r.entry_id != row.entry_id] + [row]
    if row.position < 0:  # as the store appends it: after the file's last row
        last = max((r.position for r in rows if r.file == row.file), default=-1)
        changed[-1] = KnowledgeRow(row.file, last + 1, row.entry_id, row.data)
    try:
        await asyncio.to_thread(check_rows, changed)
    except KnowledgeError as exc:
        raise _entry_invalid(exc.problems, changed[-1], row_lines(changed, changed[-1])) from None
    revision: str = await request.config_dict[keys.STORE].put_row(shop, row)
    return revision


def _entry_id(data: dict[str, Any], wanted: str | None = None) -> str:
    """The entry's id, checked as the loader checks it: a number is no id (`"id": 12` is told to be
    text, `id_not_text`, not missing nor different from the `12` of the path)."""
    raw = data.get("id")
    if is_number(raw):
        raise Unprocessable.on("entry.id", f"entry.id: {id_not_text(raw, json=True)}")
    if wanted is not None and raw is not None and raw != wanted:
        raise Unprocessable.on("entry.id", f"{raw!r} differs from the id in the path ({wanted!r})")
    entry_id = wanted if wanted is not None else raw
    if not isinstance(entry_id, str) or not entry_id:
        raise Unprocessable.on("entry.id", "required: the entry's id (lowercase letters, digits, - and _)")
    return entry_id


async def add_entry(request: web.Request) -> web.Response:
    """Add one entry at the end of its file (409 when the id is taken)."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    await existing_shop(request, shop)
    wanted = rebuild_wanted(request)
    body = decode(await _json(request), EntryBody)
    file = _entry_file(body.file)
    entry_id = _entry_id(body.entry)
    rows = await request.config_dict[keys.STORE].knowledge_rows(shop)
    if any(r.entry_id == entry_id for r in rows):
        raise Conflict.on("entry.id", f"shop {shop!r} already has an entry {entry_id!r} (PUT it to replace it)")
    revision = await _put(request, shop, rows, KnowledgeRow(file, -1, entry_id, body.entry))
    _, stored = await _row(request, shop, entry_id)
    job = await _job(request, shop, wanted)
    return json_bytes(EntryResponse(True, shop, _out(stored), revision, job, _warnings([stored])), status=201)


async def replace_entry(request: web.Request) -> web.Response:
    """Replace one entry in place (or move it to the end of another file with `file`)."""
    shop, entry_id = request.match_info["shop"], request.match_info["id"]
    await authenticate(request, role="admin", shop=shop)
    await existing_shop(request, shop)
    wanted = rebuild_wanted(request)
    body = decode(await _json(request), EntryBody)
    rows, old = await _row(request, shop, entry_id)
    data = {"id": entry_id, **body.entry}
    _entry_id(data, entry_id)
    file = old.file if body.file in (None, old.file) else _entry_file(body.file)
    position = old.position if file == old.file else -1
    revision = await _put(request, shop, rows, KnowledgeRow(file, position, entry_id, data))
    _, stored = await _row(request, shop, entry_id)
    job = await _job(request, shop, wanted)
    return json_bytes(EntryResponse(True, shop, _out(stored), revision, job, _warnings([stored])))


async def delete_entry(request: web.Request) -> web.Response:
    """Delete one entry (422 when the knowledge would be left without any entry)."""
    shop, entry_id = request.match_info["shop"], request.match_info["id"]
    await authenticate(request, role="admin", shop=shop)
    await existing_shop(request, shop)
    wanted = rebuild_wanted(request)
    rows, _ = await _row(request, shop, entry_id)
    try:
        await asyncio.to_thread(check_rows, [r for r in rows if r.entry_id != entry_id])
    except KnowledgeError as exc:
        raise _invalid(exc.problems, f"the knowledge without {entry_id!r}") from None
    revision = await request.config_dict[keys.STORE].delete_row(shop, entry_id)
    if revision is None:  # deleted meanwhile by another admin
        raise NotFound.on("id", f"shop {shop!r} has no entry {entry_id!r}")
    return json_bytes(Deleted(True, shop, entry_id, revision, await _job(request, shop, wanted)))


async def _json(request: web.Request) -> bytes:
    if request.content_type != "application/json":
        got = request.content_type or "nothing"
        raise UnsupportedMediaType.on("Content-Type", f"expected application/json, got {got}")
    return await request.read()


def add_routes(admin: web.Application) -> None:
    base = "/shops/{shop}/knowledge"
    admin.router.add_post(base, upload)
    admin.router.add_get(f"{base}/entries", entries, allow_head=False)
    admin.router.add_post(f"{base}/entries", add_entry)
    admin.router.add_get(f"{base}/entries/{{id}}", entry, allow_head=False)
    admin.router.add_put(f"{base}/entries/{{id}}", replace_entry)
    admin.router.add_delete(f"{base}/entries/{{id}}", delete_entry)

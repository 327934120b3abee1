"""`huashu admin ...`: the admin API of a running service, from a terminal.

    huashu admin shops create SHOP [--knowledge DIR] [--name NAME]   (the operator's token; builds it)
    huashu admin shops show SHOP
    huashu admin shops set SHOP KEY=VALUE... [--unset KEY]   (the operator's token; a YAML value each)
    huashu admin shops delete SHOP --yes         (the operator's token; the shop and all it holds)
    huashu admin tokens create SHOP --role agent|admin [--name NAME]   (the secret alone on stdout, once)
    huashu admin tokens list SHOP [--json]
    huashu admin tokens revoke SHOP ID
    huashu admin knowledge upload SHOP PATH... [--replace-all] [--remove-missing] [--no-wait | --no-rebuild]
    huashu admin entry put SHOP FILE.yaml|- [--file faq/NAME.yaml] [--no-wait | --no-rebuild]
    huashu admin entry delete SHOP ID [--no-wait | --no-rebuild]
    huashu admin rebuild SHOP [--no-wait]        (a progress bar while the job runs; what it waits behind)
    huashu admin jobs show ID
    huashu admin snapshots list|activate|pin|unpin SHOP [VERSION] [--restore-knowledge]
    huashu admin candidates list SHOP [--status S] [--json]
    huashu admin candidates approve SHOP ID [--reply TEXT] [--question Q] [--stage S] [--no-wait]
    huashu admin candidates reject SHOP ID

`--url` (default `$HUASHU_URL`, else http://127.0.0.1:`$HUASHU_PORT`, else 8080) and `--token` (default
`$HUASHU_TOKEN`: a shop's admin token, else `$HUASHU_ADMIN_TOKEN`: the operator's). An error answer of the
service is printed as one `huashu:` line per problem (`file:line: what`), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import aiohttp
import yaml

from assistant.cli.counts import entries_said
from assistant.cli.defaults import URL_HELP, service_url
from assistant.cli.errors import CliError, os_reason
from assistant.cli.progress import note, progress_bar
from assistant.knowledge.files import SHOP_FILE, knowledge_files
from assistant.knowledge.rows import load_yaml, yaml_problem

POLL_S = 0.5
RESUME_WAIT_S = 60.0  # a wait rides out a restart this long: the service unreachable, or a job cut short
Call = Callable[["AdminClient"], Awaitable[Any]]


class Unreachable(CliError):
    """The service did not answer (not running, restarting, no network)."""


class AdminClient:
    """One session against the admin API; an error envelope becomes a `CliError`."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> Any:
        try:
            async with self.session.request(method, self.url + path, headers=self.headers, **kwargs) as response:
                text = await response.text()
                status = response.status
        except aiohttp.ClientError as exc:
            raise Unreachable(f"cannot reach {self.url} ({exc})") from None
        try:
            body = json.loads(text) if text else {}
        except json.JSONDecodeError:
            raise CliError(f"{method} {path}: HTTP {status}, not JSON: {text[:200]}") from None
        if status not in ok:
            raise CliError(_failure(method, path, status, body), exit_code=1)
        return body


def _failure(method: str, path: str, status: int, body: Any) -> str:
    """The error envelope as lines: the summary, then every problem (`file:line: what`)."""
    if not isinstance(body, dict):
        return f"{method} {path}: HTTP {status}"
    lines = [f"{method} {path}: HTTP {status}: {body.get('error', '')}"]
    for error in body.get("errors", []):
        message = str(error.get("message", ""))
        if message != body.get("error"):
            lines.append(f"  {error.get('field', '')}: {message}" if ":" not in message else f"  {message}")
    return "\n".join(lines)


def _control_character(text: str) -> str | None:
    """The first control character in `text`, in words ("a newline", "a tab", "U+001B"), or None.
    An HTTP header cannot hold one: aiohttp would refuse the request with a traceback."""
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab"}
    for char in text:
        if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            return names.get(char, f"a control character (U+{ord(char):04X})")
    return None


def admin_token(flag: str | None, env: Mapping[str, str]) -> str:
    """The token to send: `--token`, else `$HUASHU_TOKEN`, else `$HUASHU_ADMIN_TOKEN`. Missing, or
    holding a newline or another control character (`export HUASHU_TOKEN=$(...)` of a command that
    printed more than the token), it is a `CliError` naming where it came from, never a traceback."""
    for source, token in (
        ("--token", flag),
        ("HUASHU_TOKEN", env.get("HUASHU_TOKEN")),
        ("HUASHU_ADMIN_TOKEN", env.get("HUASHU_ADMIN_TOKEN")),
    ):
        if not token:
            continue
        found = _control_character(token)
        if found is not None:
            fix = "pass the token alone" if source == "--token" else "set it to the token alone"
            raise CliError(f"{source} holds {found}: {fix}")
        return token
    raise CliError(
        "no token: pass --token, or set HUASHU_TOKEN (a shop's admin token) or HUASHU_ADMIN_TOKEN (the operator's)"
    )


def _run(args: argparse.Namespace, work: Call) -> Any:
    token = admin_token(args.token, os.environ)

    async def main() -> Any:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=120)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return await work(AdminClient(session, args.url, token))

    return asyncio.run(main())


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _print_list(found: list[dict[str, Any]], as_json: bool, empty: str, line: Callable[[dict[str, Any]], str]) -> None:
    """A listing as JSON, as one line per item, or as `empty` when there is nothing."""
    if as_json:
        _print(found)
    elif not found:
        print(empty)
    else:
        print("\n".join(line(item) for item in found))


def _finished(job: dict[str, Any], shop: str) -> dict[str, Any]:
    """`job` as followed to its end; a failed rebuild is a `CliError` saying why (for one cut short
    by a stop, that nothing took over while it was followed, where to see the job that will)."""
    if job.get("state") == "failed":
        message = f"rebuild {job['id']} of shop {shop} failed: {job.get('error')}"
        if job.get("cut_short") and not job.get("resumed_as"):
            message += (
                f"\nthe process building it stopped, and nothing took over within {RESUME_WAIT_S:.0f} s: once the "
                f"service runs again it builds the shop itself (`huashu admin jobs show {job['id']}` then names "
                f"the job in `resumed_as`), or rebuild now with `huashu admin rebuild {shop}`"
            )
        raise CliError(message, exit_code=1)
    return job


def _read(path: Path) -> bytes:
    """A file the user named, its bytes; a path that cannot be read is a `CliError` naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: cannot read: {os_reason(exc)}") from None


def _upload_files(paths: list[Path]) -> dict[str, bytes]:
    """Knowledge path -> bytes: a folder gives every knowledge file in it, a file its own name
    under the folder it sits in (`faq/x.yaml` when its parent is `faq`)."""
    files: dict[str, bytes] = {}
    for path in paths:
        if path.is_dir():
            found = knowledge_files(path)
            if not found:
                raise CliError(f"{path}: no knowledge files in this folder")
            files.update({f.relative_to(path).as_posix(): _read(f) for f in found})
        elif path.is_file():
            name = f"faq/{path.name}" if path.parent.name == "faq" else path.name
            files[name] = _read(path)
        else:
            raise CliError(f"{path}: no such file or folder")
    return files


def _utf8(where: Path, data: bytes) -> str:
    """A file's text; not UTF-8 is a `CliError` naming the file and the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CliError(f"{where}:{line}: not valid UTF-8 (save the file as UTF-8)") from None


def _held(knowledge: dict[str, Any]) -> str:
    """`12 entries (+ shop.yaml)` of a shop's `knowledge` (rows, rows per file)."""
    rows = int(knowledge["rows"])
    return entries_said(rows - int(knowledge.get("files", {}).get(SHOP_FILE, 0)), rows)


def run_shop_create(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"shop": args.shop, "name": args.name or ""}
    if args.knowledge is not None:
        root: Path = args.knowledge
        files = _upload_files([root])
        body["files"] = {name: _utf8(root / name if root.is_dir() else root, data) for name, data in files.items()}
    path = f"/v1/admin/shops?rebuild={_rebuild_flag(args)}"

    async def work(c: AdminClient) -> tuple[dict[str, Any], dict[str, Any] | None]:
        created: dict[str, Any] = await c.call("POST", path, json=body)
        shop = created["shop"]
        print(created["admin_token"], flush=True)
        print(
            f"shop {shop['shop']} ({shop['name']}) created: {_held(shop['knowledge'])}; "
            "the line above is its admin token, shown once",
            file=sys.stderr,
            flush=True,
        )
        return created, await _job_of(c, created, args)

    created, job = _run(args, work)
    if created["shop"]["knowledge"]["rows"]:  # the token alone on stdout: what is served goes to stderr
        _print_served(job, args.shop, out=sys.stderr)
    return 0


def run_shop_show(args: argparse.Namespace) -> int:
    _print(_run(args, lambda c: c.call("GET", f"/v1/admin/shops/{args.shop}"))["shop"])
    return 0


def settings_change(pairs: list[str], unset: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` arguments (each value read as YAML: `7`, `0.4`, `[5, 6]`, `true`, text) and
    `--unset KEY` (null: the service removes it) as the body's `settings`."""
    change: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{pair!r}: expected KEY=VALUE (threshold=0.4, chatwoot_inboxes=[5, 6])")
        try:
            change[key.strip()] = _json_ready(load_yaml(raw)) if raw.strip() else ""
        except yaml.YAMLError as exc:
            _, problem = yaml_problem(exc, raw)
            raise CliError(f"{key.strip()}: {raw!r} is not a value ({problem})") from None
    for key in unset:
        change[key] = None
    if not change:
        raise CliError("nothing to change: give KEY=VALUE or --unset KEY")
    return change


def run_shop_set(args: argparse.Namespace) -> int:
    body = {"settings": settings_change(args.pairs, args.unset)}
    _print(_run(args, lambda c: c.call("PATCH", f"/v1/admin/shops/{args.shop}", json=body))["shop"])
    return 0


def run_shop_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        raise CliError(
            f"deleting shop {args.shop} removes its knowledge, snapshots, tokens and history for good: "
            "pass --yes to confirm"
        )
    path = f"/v1/admin/shops/{args.shop}?confirm={args.shop}"
    done = _run(args, lambda c: c.call("DELETE", path))
    deleted = done.get("deleted", {})
    history = sum(deleted.get(t, 0) for t in ("messages", "suggestions", "feedback", "answers", "reply_outcomes"))
    print(
        f"shop {args.shop} deleted: {deleted.get('knowledge_rows', 0)} knowledge rows, "
        f"{deleted.get('snapshots', 0)} snapshots, {deleted.get('tokens', 0)} tokens, {history} history records"
        + (f"; {len(done['cancelled_jobs'])} rebuild(s) cancelled" if done.get("cancelled_jobs") else "")
    )
    return 0


def token_line(t: dict[str, Any]) -> str:
    """One token as a line: id, role, name (or -), created, and `(this token)` for the caller's."""
    return f"{t['id']}\t{t['role']}\t{t['name'] or '-'}\t{t['created_at']}" + ("\t(this token)" if t["yours"] else "")


def run_tokens(args: argparse.Namespace) -> int:
    base = f"/v1/admin/shops/{args.shop}/tokens"
    if args.action == "create":
        body = {"role": args.role, "name": args.name or ""}
        made = _run(args, lambda c: c.call("POST", base, json=body))
        # the secret alone on stdout (`T=$(huashu admin tokens create ...)`); what it is on stderr
        print(made["secret"], flush=True)
        token = made["token"]
        label = f" ({token['name']})" if token["name"] else ""
        said = f"{token['role']} token {token['id']}{label} of shop {args.shop}: shown once, keep it now"
        print(said, file=sys.stderr)
        return 0
    if args.action == "list":
        found = _run(args, lambda c: c.call("GET", base))["tokens"]
        _print_list(found, args.json, f"shop {args.shop}: no tokens", token_line)
        return 0
    if not args.id:
        raise CliError(f"tokens revoke: which ID? (huashu admin tokens list {args.shop})")
    _run(args, lambda c: c.call("DELETE", f"{base}/{args.id}"))
    print(f"token {args.id} of shop {args.shop} revoked")
    return 0


def run_upload(args: argparse.Namespace) -> int:
    files = _upload_files(args.paths)
    form = aiohttp.FormData()
    for name, data in sorted(files.items()):
        form.add_field(name, data, filename=name.rsplit("/", 1)[-1], content_type="application/octet-stream")
    replace = "all" if args.replace_all else "files"
    remove = "true" if args.remove_missing else "false"
    path = f"/v1/admin/shops/{args.shop}/knowledge?replace={replace}&remove_missing={remove}"
    path += f"&rebuild={_rebuild_flag(args)}"

    async def work(c: AdminClient) -> dict[str, Any] | None:
        done = await c.call("POST", path, data=form, ok=(200, 409))
        if not done.get("ok"):
            raise _removal_refused(path, args.shop, done)
        held = entries_said(done["entries"], done["rows"])
        if done.get("unchanged") and not done.get("job"):  # held already and served: nothing to do
            _stored(f"shop {done['shop']}: {', '.join(done['files'])} unchanged; nothing to rebuild ({held}, "
                    f"knowledge revision {done['knowledge_revision']})", done)  # fmt: skip
            _renamed(done)
            return None
        if done.get("unchanged"):  # held already, but what is served is older: its rebuild follows
            _stored(f"shop {done['shop']}: {', '.join(done['files'])} unchanged ({held}, knowledge revision "
                    f"{done['knowledge_revision']}); the snapshot served is older: rebuilding", done)  # fmt: skip
            _renamed(done)
            return {"served": await _job_of(c, done, args)}
        _stored(f"shop {done['shop']}: {', '.join(done['files'])} stored; {held}, "
                f"knowledge revision {done['knowledge_revision']}", done)  # fmt: skip
        _renamed(done)
        if gone := done.get("removed"):
            print(f"shop {done['shop']}: removed {len(gone)} {'entry' if len(gone) == 1 else 'entries'} "
                  f"your files did not have: {', '.join(gone)}")  # fmt: skip
        return {"served": await _job_of(c, done, args)}

    if (changed := _run(args, work)) is not None:
        _print_served(changed["served"], args.shop)
    return 0


ENTRIES_LISTED = 20  # a refused upload names this many of the entries it would remove, one a line


def _removal_refused(path: str, shop: str, body: Any) -> CliError:
    """A 409 for an upload that would remove entries (an entry added with `huashu admin entry put`
    lives in the shop's copy of a file, which the upload replaces): each entry, one a line, and
    how to keep them or remove them. Any other 409 is told as every refusal is."""
    if not isinstance(body, dict) or "would_remove" not in body:
        return CliError(_failure("POST", path, 409, body), exit_code=1)
    found = body.get("errors", [])
    count = len(body["would_remove"])
    lines = [
        f"POST {path}: HTTP 409: nothing was changed: the upload would remove {count} "
        f"{'entry' if count == 1 else 'entries'} of shop {shop} that your files do not have"
        " (added or changed through the admin API, or left out of your files):"
    ]
    lines += [f"  {e.get('message', '')}" for e in found[:ENTRIES_LISTED]]
    if len(found) > ENTRIES_LISTED:
        lines.append(f"  ... and {len(found) - ENTRIES_LISTED} more")
    lines.append(
        "to keep them, add them to your files (`huashu shop export "
        f"{shop} DIR` writes the shop's knowledge as the service has it) and upload again; "
        "to remove them, upload again with --remove-missing"
    )
    return CliError("\n".join(lines), exit_code=1)


def _stored(line: str, done: dict[str, Any] | None = None) -> None:
    """What the service stored, printed before the rebuild is followed: a rebuild that fails or a
    wait cut short (Ctrl-C) must not leave the admin unsure whether the change itself landed. The
    service's warnings (a promotion that has ended) follow, on stderr."""
    print(line, flush=True)
    for warning in (done or {}).get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr, flush=True)


def _renamed(done: Mapping[str, Any]) -> None:
    """The shop's new name, when the uploaded shop.yaml renamed it."""
    if done.get("renamed_from"):
        print(f"shop {done['shop']} renamed: {done['renamed_from']} -> {done['name']} (the name in its shop.yaml)")


def _rebuild_flag(args: argparse.Namespace) -> str:
    return "false" if args.no_rebuild else "true"


async def _job_of(c: AdminClient, done: dict[str, Any], args: argparse.Namespace) -> dict[str, Any] | None:
    """The rebuild a change started, followed to its end unless `--no-wait`."""
    job: dict[str, Any] | None = done.get("job")
    return job if job is None or args.no_wait else await _follow(c, job, args.quiet)


def _print_served(job: dict[str, Any] | None, shop: str, out: TextIO | None = None) -> None:
    """What serves the change: the finished rebuild, one still running, or none (`--no-rebuild`)."""
    if job is None:
        print(f"not served yet: rebuild with `huashu admin rebuild {shop}`", file=out)
        return
    job = _finished(job, shop)
    if job.get("state") == "done":
        print(f"job {job['id']}: done, snapshot {job.get('version')} serves it", file=out)
    else:
        print(f"job {job['id']}: {job['state']} (served once done: `huashu admin jobs show {job['id']}`)", file=out)


def _entry(source: str) -> tuple[dict[str, Any], str]:
    """The entry of the user's file (or stdin) and the file's text."""
    text = sys.stdin.read() if source == "-" else _utf8(Path(source), _read(Path(source)))
    display = "<stdin>" if source == "-" else source
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc, text)
        raise CliError(f"{display}:{line}: not valid YAML or JSON ({problem})") from None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict) or not data.get("id"):
        raise CliError(f"{display}:1: expected one entry (a mapping with its `id`)")
    return _json_ready(data), text


def _json_ready(value: Any) -> Any:
    """`value` with YAML's dates and times as ISO text, the form the API reads (a user test: an
    unquoted `starts: 2026-12-01`, as knowledge/README.md writes them, ended in a traceback)."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, dt.date):  # datetime too: the service then names the field that wants a date
        return value.isoformat()
    return value


def _field_lines(text: str) -> tuple[int, dict[str, int]]:
    """The line of the entry's mapping in the user's text and of each of its fields (1-based)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return 1, {}
    if isinstance(node, yaml.SequenceNode) and len(node.value) == 1:
        node = node.value[0]
    if not isinstance(node, yaml.MappingNode):
        return 1, {}
    fields = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    return node.start_mark.line + 1, fields


PROBLEM = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+): (?P<what>.*)$", re.S)


def _entry_refused(source: str, text: str, method: str, path: str, body: Any) -> CliError:
    """A 422 for an entry names the fields of the body (`entry.answer: ...`): each is told at the
    line of the same field in the user's file (the entry's first line for a missing field); a
    problem the service puts elsewhere in the shop (`file:line: what`) is told as the shop's."""
    if not isinstance(body, dict):
        return CliError(_failure(method, path, 422, body), exit_code=1)
    display = "<stdin>" if source == "-" else source
    top, fields = _field_lines(text)
    lines = [f"{method} {path}: HTTP 422: {body.get('error', '')}"]
    for error in body.get("errors", []):
        message = str(error.get("message", ""))
        field = str(error.get("field", ""))
        if field == "entry" or field.startswith("entry."):
            name = field.removeprefix("entry").removeprefix(".").split(".", 1)[0]
            if message.startswith(("entry.", "entry: ")):
                what = re.sub(r"^entry(\.|: )", "", message).replace("'entry.", "'")  # the user's file's keys
            else:
                what = f"{name}: {message}" if name else message
            lines.append(f"{display}:{fields.get(name, top)}: {what}")
        elif PROBLEM.match(message):  # another entry of the shop is at fault
            lines.append(f"  {message}  (in the shop's knowledge, not in {display})")
        else:
            lines.append(f"  {message}")
    return CliError("\n".join(lines), exit_code=1)


def run_entry_put(args: argparse.Namespace) -> int:
    entry, text = _entry(args.entry)
    base = f"/v1/admin/shops/{args.shop}/knowledge/entries"
    one = f"{base}/{entry['id']}"

    flag = f"?rebuild={_rebuild_flag(args)}"

    async def work(c: AdminClient) -> dict[str, Any] | None:
        what, done = await change(c)
        e = done["entry"]
        _stored(f"shop {args.shop}: entry {e['id']} {what} in {e['file']}; "
                f"knowledge revision {done['knowledge_revision']}", done)  # fmt: skip
        return await _job_of(c, done, args)

    async def change(c: AdminClient) -> tuple[str, Any]:
        body = {"entry": entry, **({"file": args.file} if args.file else {})}
        put = await c.call("PUT", one + flag, json=body, ok=(200, 404, 422))
        if put.get("ok"):
            return "replaced", put
        if put.get("status") == 422:
            raise _entry_refused(args.entry, text, "PUT", one, put)
        if any(e.get("field") == "shop" for e in put.get("errors", [])):
            raise CliError(_failure("PUT", one, 404, put), exit_code=1)
        if not args.file:
            raise CliError(f"no entry {entry['id']!r} in shop {args.shop}: pass --file to add it")
        added = await c.call("POST", base + flag, json=body, ok=(201, 422))
        if not added.get("ok", True) and added.get("status") == 422:
            raise _entry_refused(args.entry, text, "POST", base, added)
        return "added", added

    _print_served(_run(args, work), args.shop)
    return 0


def run_entry_delete(args: argparse.Namespace) -> int:
    path = f"/v1/admin/shops/{args.shop}/knowledge/entries/{args.id}?rebuild={_rebuild_flag(args)}"

    async def work(c: AdminClient) -> dict[str, Any] | None:
        done = await c.call("DELETE", path)
        _stored(f"shop {args.shop}: entry {args.id} deleted; knowledge revision {done['knowledge_revision']}")
        return await _job_of(c, done, args)

    _print_served(_run(args, work), args.shop)
    return 0


def waiting_line(job: Mapping[str, Any]) -> str | None:
    """What a job waits behind, as a line (None: nothing): the jobs before it that the token may
    see by id and shop, the others counted."""
    waiting = job.get("waiting_behind")
    if not waiting or job.get("state") not in ("queued", "running"):
        return None
    count = int(waiting.get("jobs", 0))
    ahead = waiting.get("ahead", [])
    named = [f"job {a['id']} of shop {a['shop']} ({a['state']}, {float(a['progress']):.0%})" for a in ahead]
    hidden = count - len(named)
    if hidden > 0:
        named.append(f"{hidden} of another shop" if hidden == 1 else f"{hidden} of other shops")
    if waiting.get("waits_for") == "builder_slot":
        what = f"queued for a builder process behind {count} build(s)"
    elif job["state"] == "queued":
        what = f"queued behind {count} job(s)"
    else:
        what = f"running, its turn to embed after {count} smaller build(s)"
    return f"job {job['id']}: {what}: {', '.join(named)}"


def took_over_line(job: Mapping[str, Any]) -> str | None:
    """For a job cut short that another job took over, a line saying which (None otherwise)."""
    if job.get("state") != "failed" or not job.get("resumed_as"):
        return None
    return f"job {job['id']} was cut short ({job.get('error')}); job {job['resumed_as']} took over its work"


async def _follow(c: AdminClient, job: dict[str, Any], quiet: bool) -> dict[str, Any]:
    """Poll the job until it is done or failed, drawing its progress, and saying (on stderr) what
    it waits behind whenever that changes (a user test: a queued job showed a silent 0%).

    A job cut short by a stop (a SIGTERM, a killed process: `cut_short`) is not the end: the job
    that took over its work (`resumed_as`) is followed instead, and until one does, the wait goes
    on for `RESUME_WAIT_S`, as it does while the service cannot be reached (a restart)."""
    with progress_bar(1000, f"rebuild {job.get('id', '')}", quiet) as tick:
        drawn = 0
        said: str | None = None
        cut_at: float | None = None  # since when the job followed was cut short, nothing taking over
        lost_at: float | None = None  # since when the service has not answered
        while True:
            if (line := took_over_line(job)) is not None:
                note(line + ": following it")  # even `--quiet`: what is followed changed
                job, cut_at = {"id": job["resumed_as"], "state": "queued"}, None
            elif job.get("state") == "done" or (job.get("state") == "failed" and not job.get("cut_short")):
                break
            elif job.get("state") == "failed":
                if cut_at is None:
                    cut_at = time.monotonic()
                    note(f"job {job['id']} was cut short ({job.get('error')}): waiting up to "
                         f"{RESUME_WAIT_S:.0f} s for the service to build the shop again")  # fmt: skip
                elif time.monotonic() - cut_at > RESUME_WAIT_S:
                    break
            await asyncio.sleep(POLL_S)
            try:
                job = (await c.call("GET", f"/v1/admin/jobs/{job['id']}"))["job"]
            except Unreachable as exc:
                if lost_at is None:
                    lost_at = time.monotonic()
                    note(f"{exc}: waiting up to {RESUME_WAIT_S:.0f} s for it (a restart?)")
                elif time.monotonic() - lost_at > RESUME_WAIT_S:
                    raise
                continue
            lost_at = None
            line = waiting_line(job)
            if line != said and (line is not None or job.get("state") == "running"):
                note(line or f"job {job['id']}: building", quiet)
            said = line
            now = int(float(job.get("progress", 0.0)) * 1000)
            if now > drawn:
                tick(now - drawn)
                drawn = now
    return job


def run_rebuild(args: argparse.Namespace) -> int:
    async def work(c: AdminClient) -> dict[str, Any]:
        job: dict[str, Any] = (await c.call("POST", f"/v1/admin/shops/{args.shop}/rebuild"))["job"]
        return job if args.no_wait else await _follow(c, job, args.quiet)

    started = time.monotonic()
    job = _finished(_run(args, work), args.shop)
    took = f" in {time.monotonic() - started:.1f} s" if job.get("state") == "done" else ""
    print(f"job {job['id']}: {job['state']}{took}" + (f", snapshot {job['version']}" if job.get("version") else ""))
    return 0


def run_job_show(args: argparse.Namespace) -> int:
    job = _run(args, lambda c: c.call("GET", f"/v1/admin/jobs/{args.id}"))["job"]
    _print(job)
    if (line := took_over_line(job)) is not None:
        print(f"{line}: `huashu admin jobs show {job['resumed_as']}`", file=sys.stderr)
    return 0


def snapshot_line(s: dict[str, Any]) -> str:
    """One snapshot as a line: version, build time, entries per source, and its marks
    (`active`, `pinned`, `stale (the files changed since)`)."""
    counts = ", ".join(f"{kind} {n}" for kind, n in s.get("counts", {}).items()) or "no entries"
    marks = [m for m in ("active", "pinned") if s.get(m)]
    if s.get("stale"):
        changed = ", ".join(s.get("stale_sources", []))
        marks.append(f"stale ({changed})" if changed else "stale")
    return f"{s['version']}\tbuilt {s['built_at']}\t{counts}" + (f"\t{' '.join(marks)}" if marks else "")


def run_snapshots(args: argparse.Namespace) -> int:
    base = f"/v1/admin/shops/{args.shop}/snapshots"
    if args.action == "list":
        found = _run(args, lambda c: c.call("GET", base))["snapshots"]
        empty = f"shop {args.shop}: no snapshots yet (huashu admin rebuild {args.shop})"
        _print_list(found, args.json, empty, snapshot_line)
        return 0
    if not args.version:
        raise CliError(f"snapshots {args.action}: which VERSION? (huashu admin snapshots list {args.shop})")
    if args.restore_knowledge and args.action != "activate":
        raise CliError(f"snapshots {args.action}: --restore-knowledge goes with activate")
    query = "?restore_knowledge=true" if args.restore_knowledge else ""
    answer = _run(args, lambda c: c.call("POST", f"{base}/{args.version}/{args.action}{query}"))
    done = {"activate": "activated", "pin": "pinned (never pruned)", "unpin": "unpinned"}[args.action]
    print(f"shop {args.shop}: snapshot {args.version} {done}")
    if answer.get("restored_rows") is not None:
        print(f"knowledge restored: {answer['restored_rows']} rows as the snapshot was built from them")
    elif args.action == "activate" and answer.get("snapshot", {}).get("stale"):
        changed = ", ".join(answer["snapshot"].get("stale_sources", [])) or "the knowledge"
        print(
            f"note: the knowledge changed since it was built ({changed}); the next rebuild serves the current "
            f"knowledge again (--restore-knowledge puts the snapshot's back)"
        )
    return 0


def candidate_line(c: dict[str, Any]) -> str:
    """One candidate as a line: id, status, how often and by how many agents, the reply, and the
    customers' first wording."""
    asked = c["wordings"][0] if c.get("wordings") else ""
    return f"{c['id']}\t{c['status']}\t{c['count']}× by {len(c['agents'])} agent(s)\t{c['reply']}\t← {asked}"


def run_candidates(args: argparse.Namespace) -> int:
    """The candidate replies through the running service: an approval starts the rebuild that
    serves the new entry, and waits for it (the store-side `huashu candidates` cannot)."""
    base = f"/v1/admin/shops/{args.shop}/candidates"
    if args.action == "list":
        found = _run(args, lambda c: c.call("GET", f"{base}?status={args.status}&days={args.days}"))["candidates"]
        empty = f"shop {args.shop}: no {args.status} candidates in the last {args.days} days"
        _print_list(found, args.json, empty, candidate_line)
        return 0
    if not args.id:
        raise CliError(f"candidates {args.action}: which ID? (huashu admin candidates list {args.shop})")
    path = f"{base}/{args.id}/{args.action}"
    if args.action == "reject":
        _run(args, lambda c: c.call("POST", path, json={"days": args.days}))
        print(f"shop {args.shop}: candidate {args.id} rejected")
        return 0
    body: dict[str, Any] = {"days": args.days}
    given = (("answer", args.reply), ("question", args.question), ("stage", args.stage))
    body |= {k: v for k, v in given if v is not None}

    async def work(c: AdminClient) -> dict[str, Any] | None:
        done = await c.call("POST", path, json=body)
        for a in done["approved"]:
            c_id, e_id = a["candidate"]["id"], a["entry"]["id"]
            _stored(f"shop {args.shop}: candidate {c_id} approved as entry {e_id} in {a['file']}")
        return await _job_of(c, done, args)

    job = _run(args, work)
    if job is None:
        return 0
    job = _finished(job, args.shop)
    served = f", snapshot {job['version']} serves it" if job.get("state") == "done" and job.get("version") else ""
    print(f"job {job['id']}: {job['state']}{served}")
    return 0


def _serving(parser: argparse.ArgumentParser) -> None:
    """A knowledge change starts the shop's rebuild; these say whether to wait for it."""
    parser.add_argument("--no-wait", action="store_true", help="print the rebuild job and return")
    parser.add_argument("--no-rebuild", action="store_true", help="store only; rebuild later (for a batch of edits)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _connection(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--url", default=service_url(), help=URL_HELP)
    parser.add_argument(
        "--token", default=None, help="admin token (default: $HUASHU_TOKEN, else the operator's $HUASHU_ADMIN_TOKEN)"
    )
    return parser


def register(subparsers: Any) -> None:
    admin = subparsers.add_parser("admin", help="the admin API of a running service (shops, knowledge, rebuilds)")
    groups = admin.add_subparsers(dest="group", metavar="WHAT", required=True)

    shops = groups.add_parser("shops", help="create, show or change a shop")
    shops = shops.add_subparsers(dest="action", required=True)
    create = _connection(shops.add_parser("create", help="a new shop (the operator's token); prints its admin token"))
    create.add_argument("shop")
    create.add_argument("--knowledge", type=Path, default=None, help="its knowledge folder")
    create.add_argument("--name", default=None)
    _serving(create)
    create.set_defaults(handler=run_shop_create)
    show = _connection(shops.add_parser("show", help="a shop, its knowledge and its active snapshot"))
    show.add_argument("shop")
    show.set_defaults(handler=run_shop_show)
    change = _connection(shops.add_parser("set", help="change a shop's settings (the operator's token)"))
    change.add_argument("shop")
    change.add_argument("pairs", nargs="*", metavar="KEY=VALUE", help="a setting and its YAML value")
    change.add_argument("--unset", action="append", default=[], metavar="KEY", help="remove a setting")
    change.set_defaults(handler=run_shop_set)
    delete_shop = _connection(
        shops.add_parser("delete", help="delete a shop and everything it holds (the operator's token)")
    )
    delete_shop.add_argument("shop")
    delete_shop.add_argument("--yes", action="store_true", help="confirm: the deletion cannot be undone")
    delete_shop.set_defaults(handler=run_shop_delete)

    tokens = _connection(groups.add_parser("tokens", help="create, list or revoke a shop's tokens"))
    tokens.add_argument("action", choices=["create", "list", "revoke"])
    tokens.add_argument("shop")
    tokens.add_argument("id", nargs="?", default=None, help="revoke: the token's id (tokens list shows it)")
    tokens.add_argument("--role", choices=["agent", "admin"], default="agent", help="create: its role (default agent)")
    tokens.add_argument("--name", default=None, help="create: a label, who or what holds it")
    tokens.add_argument("--json", action="store_true", help="list: print JSON instead of text")
    tokens.set_defaults(handler=run_tokens)

    knowledge = groups.add_parser("knowledge", help="upload knowledge files").add_subparsers(
        dest="action", required=True
    )
    upload = _connection(knowledge.add_parser("upload", help="files or a folder; all validated first"))
    upload.add_argument("shop")
    upload.add_argument("paths", type=Path, nargs="+", help="knowledge files, or a knowledge folder")
    upload.add_argument("--replace-all", action="store_true", help="the upload becomes the whole knowledge")
    upload.add_argument(
        "--remove-missing",
        action="store_true",
        help="remove the entries your files do not have (without it, an upload that would remove any is refused)",
    )
    _serving(upload)
    upload.set_defaults(handler=run_upload)

    entry = groups.add_parser("entry", help="add, replace or delete one entry").add_subparsers(
        dest="action", required=True
    )
    put = _connection(entry.add_parser("put", help="replace an entry, or add it with --file"))
    put.add_argument("shop")
    put.add_argument("entry", help="a YAML or JSON file holding the entry (- for stdin)")
    put.add_argument("--file", default=None, help="its knowledge file (to add, or to move it)")
    _serving(put)
    put.set_defaults(handler=run_entry_put)
    delete = _connection(entry.add_parser("delete", help="delete an entry"))
    delete.add_argument("shop")
    delete.add_argument("id")
    _serving(delete)
    delete.set_defaults(handler=run_entry_delete)

    rebuild = _connection(groups.add_parser("rebuild", help="rebuild a shop's snapshot (progress bar)"))
    rebuild.add_argument("shop")
    rebuild.add_argument("--no-wait", action="store_true", help="print the job and return")
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar")
    rebuild.set_defaults(handler=run_rebuild)

    jobs = groups.add_parser("jobs", help="a background job").add_subparsers(dest="action", required=True)
    job = _connection(jobs.add_parser("show", help="a job's state, progress and result"))
    job.add_argument("id")
    job.set_defaults(handler=run_job_show)

    snapshots = _connection(groups.add_parser("snapshots", help="list, activate (roll back), pin or unpin snapshots"))
    snapshots.add_argument("action", choices=["list", "activate", "pin", "unpin"])
    snapshots.add_argument("shop")
    snapshots.add_argument("version", nargs="?", default=None)
    snapshots.add_argument("--json", action="store_true", help="list: print JSON instead of text")
    snapshots.add_argument(
        "--restore-knowledge",
        action="store_true",
        help="activate: put the snapshot's knowledge back too, so the next rebuild keeps the rollback",
    )
    snapshots.set_defaults(handler=run_snapshots)

    candidates = _connection(
        groups.add_parser("candidates", help="list, approve (rebuilt and served at once) or reject candidate replies")
    )
    candidates.add_argument("action", choices=["list", "approve", "reject"])
    candidates.add_argument("shop")
    candidates.add_argument("id", nargs="?", default=None, help="the candidate (approve, reject)")
    candidates.add_argument("--status", choices=["pending", "approved", "rejected", "all"], default="pending")
    candidates.add_argument("--days", type=int, default=30, help="the window the candidates come from (1-365)")
    candidates.add_argument("--reply", default=None, help="approve: the reply as it should be published")
    candidates.add_argument("--question", default=None, help="approve: the entry's question")
    candidates.add_argument(
        "--stage",
        choices=["pre_sale", "in_sale", "after_sale"],
        default=None,
        help="approve: the entry's stage (default: the candidate's own, inferred: docs/learning.md)",
    )
    candidates.add_argument("--no-wait", action="store_true", help="approve: do not wait for the rebuild")
    candidates.add_argument("--quiet", action="store_true", help="no progress bar")
    candidates.add_argument("--json", action="store_true", help="list: print JSON instead of text")
    candidates.set_defaults(handler=run_candidates)

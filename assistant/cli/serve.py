"""`huashu serve`: run the suggestion service.

Settings come from `HUASHU_*` environment variables (`Settings.from_env(os.environ)`), and
flags override them; every setting but the secrets has a flag, generated from the settings'
own help. On a fresh clone it imports `knowledge/` as the default shop `demo` into the store and
builds its first snapshot in the background, listening meanwhile (`/readyz` answers 503 with
the build's progress until the shop is ready). Start-up goes through `create_app`'s own
loading, as the tests do. SIGTERM or SIGINT stops it gracefully: no new connection, the requests
in flight finished within `HUASHU_SHUTDOWN_GRACE_S`, then the cleanup (`service/shutdown.py`).
The store is opened (and migrated) once before the model loads: one it cannot open (a database
that does not exist, a server not listening, a SQLite path that cannot be written) is one
`huashu: cannot open the database at URL: reason` line and exit code 2, as the admin commands
say it, before anything claims to listen (a user test: the listening line, then two tracebacks).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from assistant.cli.errors import CliError, os_reason
from assistant.service.home import service_home
from assistant.service.settings import Settings, SettingsError, parse_setting, setting_docs
from assistant.storage import open_store
from assistant.storage.migrate import redact
from assistant.storage.protocols import StoreError

# Short aliases shared with `huashu index build`.
_ALIASES = {"index_dir": ["--index"], "knowledge_dir": ["--knowledge"]}


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the suggestion service (HTTP API and webhooks)",
        description="Run the suggestion service. Every flag may also be set as the "
        "environment variable shown; flags win. Secrets are read from the environment only.",
    )
    for doc in setting_docs():
        if doc.secret:
            continue
        flag = "--" + doc.name.replace("_", "-")
        default = f" (default: {doc.default})" if doc.default else ""
        serve.add_argument(
            flag,
            *_ALIASES.get(doc.name, []),
            dest=doc.name,
            default=None,
            metavar=doc.type.upper(),
            help=f"{doc.help} [{doc.env}]{default}",
        )
    serve.set_defaults(handler=run)


def settings_from(args: argparse.Namespace, env: Any = os.environ) -> Settings:
    """The environment's settings with the given flags applied; a bad value is a `CliError`."""
    try:
        settings = Settings.from_env(env, home=service_home())  # the default paths: service/home.py
        overrides = {
            doc.name: parse_setting(f"--{doc.name.replace('_', '-')}", doc.type, raw)
            for doc in setting_docs()
            if not doc.secret and (raw := getattr(args, doc.name, None)) is not None
        }
        return settings.replace(**overrides)
    except SettingsError as exc:
        raise CliError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    from assistant.service.app import create_app
    from assistant.service.logging import configure_logging
    from assistant.service.redis_link import RedisUnavailable
    from assistant.service.shutdown import serve_until_signalled

    settings = settings_from(args)
    configure_logging(settings.log_level, settings.log_json)
    check_store(settings.database_url)
    print(
        f"huashu serve: loading model {settings.model}, then listening on "
        f"http://{settings.host}:{settings.port} (POST /v1/suggest, GET /readyz, GET /openapi.json); "
        f"the default shop {settings.default_shop!r} loads or builds in the background",
        flush=True,
    )
    app = create_app(settings)
    try:
        asyncio.run(serve_until_signalled(app))
    except RedisUnavailable as exc:
        raise CliError(str(exc)) from None
    except StoreError as exc:  # opened before, but not now (the server went away meanwhile)
        raise CliError(one_line(str(exc))) from None
    except OSError as exc:
        raise CliError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    return 0


def check_store(url: str) -> None:
    """Opens the store at `url` (migrating it, creating a SQLite file as the service would) and
    closes it again; one that cannot be opened is a `CliError` of one line, its URL without the
    password."""

    async def open_and_close() -> None:
        store = open_store(url)
        await store.open()
        await store.close()

    try:
        asyncio.run(open_and_close())
    except StoreError as exc:
        raise CliError(one_line(str(exc))) from None
    except OSError as exc:  # SQLite: its folder or lock file cannot be made or written
        where = f" ({exc.filename})" if exc.filename else ""
        raise CliError(f"cannot open the database at {redact(url)}: {os_reason(exc)}{where}") from None


def one_line(message: str) -> str:
    """A driver's message on one line (libpq adds a tab-indented hint on a line of its own)."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())

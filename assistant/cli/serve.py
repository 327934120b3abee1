"""`huashu serve`: run the suggestion service.

Settings come from `HUASHU_*` environment variables (`Settings.from_env(os.environ)`), and
flags override them; every setting but the secrets has a flag, generated from the settings'
own help. On a fresh clone it imports `knowledge/` as the default shop `demo` into the store and
builds its first snapshot in the background, listening meanwhile (`/readyz` answers 503 with
the build's progress until the shop is ready). Start-up goes through `create_app`'s own
loading, as the tests do. SIGTERM or SIGINT stops it gracefully: no new connection, the requests
in flight finished within `HUASHU_SHUTDOWN_GRACE_S`, then the cleanup (`service/shutdown.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from assistant.cli.errors import CliError
from assistant.service.home import service_home
from assistant.service.settings import Settings, SettingsError, parse_setting, setting_docs

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
    except OSError as exc:
        raise CliError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    return 0

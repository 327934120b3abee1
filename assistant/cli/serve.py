"""`huashu serve`: run the suggestion service.

Settings come from `HUASHU_*` environment variables (`Settings.from_env(os.environ)`), and
flags override them; every setting but the secrets has a flag, generated from the settings'
own help. On a fresh clone it serves the demo shop in `knowledge/` with the bundled model,
building the index snapshot in `index/` first when there is none.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from assistant.cli.errors import CliError
from assistant.knowledge.loader import KnowledgeError
from assistant.retrieval.snapshot import SnapshotError, build_index, current_snapshot_dir
from assistant.service.batching import ModelWorker
from assistant.service.settings import Settings, SettingsError, parse_setting, setting_docs
from assistant.suggest.pipeline import Suggester, load_suggester

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
        settings = Settings.from_env(env)
        overrides = {
            doc.name: parse_setting(f"--{doc.name.replace('_', '-')}", doc.type, raw)
            for doc in setting_docs()
            if not doc.secret and (raw := getattr(args, doc.name, None)) is not None
        }
        return settings.replace(**overrides)
    except SettingsError as exc:
        raise CliError(str(exc)) from exc


def ensure_index(settings: Settings, worker: ModelWorker) -> Suggester:
    """Load the current snapshot; build one from the knowledge folder first when there is none."""
    index_dir: Path = settings.index_dir
    if current_snapshot_dir(index_dir) is None:
        print(
            f"huashu serve: no index snapshot in {index_dir}/; "
            f"building one from {settings.knowledge_dir}/ with {worker.embedder.name} ...",
            flush=True,
        )
        index_dir.mkdir(parents=True, exist_ok=True)
        try:
            report = worker.submit(build_index, settings.knowledge_dir, index_dir, worker.embedder).result()
        except KnowledgeError as exc:
            raise CliError(
                f"nothing was built: {len(exc.problems)} problem(s) in "
                f"{settings.knowledge_dir}/\n" + "\n".join(exc.problems)
            ) from exc
        except FileNotFoundError as exc:
            raise CliError(f"cannot build the index: {exc}") from exc
        print(
            f"huashu serve: built snapshot {report.version} "
            f"({sum(report.counts.values())} entries, {report.seconds:.1f} s)",
            flush=True,
        )
    try:
        return worker.submit(load_suggester, index_dir, worker.embedder).result()
    except SnapshotError as exc:
        raise CliError(f"{exc}") from exc


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from assistant.service.app import create_app
    from assistant.service.logging import configure_logging
    from assistant.service.redis_link import RedisUnavailable

    settings = settings_from(args)
    configure_logging(settings.log_level, settings.log_json)
    print(f"huashu serve: loading model {settings.model} ...", flush=True)
    try:
        worker = ModelWorker.start(settings.model, settings.model_threads)
    except Exception as exc:
        raise CliError(f"cannot load model {settings.model!r}: {exc}") from exc
    try:
        suggester = ensure_index(settings, worker)
        print(
            f"huashu serve: serving index {suggester.index_version} on "
            f"http://{settings.host}:{settings.port} (POST /v1/suggest, GET /openapi.json)",
            flush=True,
        )
        app = create_app(settings, model=worker, suggester=suggester)
        try:
            web.run_app(app, host=settings.host, port=settings.port, access_log=None, print=None)
        except RedisUnavailable as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    finally:
        worker.close()
    return 0

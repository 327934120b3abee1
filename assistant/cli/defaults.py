"""Defaults of the flags that name what a running service uses, read from the service's own
environment variables, so a terminal with the service's environment needs no flags: `--index` is
`$HUASHU_INDEX_DIR`, else `index/` in the service's home, `--knowledge` `$HUASHU_KNOWLEDGE_DIR`,
else `knowledge/` there (the home: the working directory when it holds index/, knowledge/ or
var/huashu.db, else the checkout; `service/home.py`), `admin --url` is `$HUASHU_URL`, else
`http://127.0.0.1:$HUASHU_PORT` (else port 8080)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from assistant.service.home import at_home, service_home

INDEX_HELP = "index folder (default: $HUASHU_INDEX_DIR, else index/ in the service's home, as huashu serve)"
KNOWLEDGE_HELP = "knowledge folder (default: $HUASHU_KNOWLEDGE_DIR, else knowledge/ in the service's home)"
URL_HELP = "the service (default: $HUASHU_URL, else http://127.0.0.1:$HUASHU_PORT, else port 8080)"


def index_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The shops' snapshots, where the service keeps them (a variable set: as given)."""
    return _place(env, "HUASHU_INDEX_DIR", Path("index"))


def knowledge_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The knowledge folder the service imports as its default shop."""
    return _place(env, "HUASHU_KNOWLEDGE_DIR", Path("knowledge"))


def _place(env: Mapping[str, str], name: str, default: Path) -> Path:
    given = env.get(name, "").strip()
    return Path(given) if given else at_home(default, service_home())


def service_url(env: Mapping[str, str] = os.environ) -> str:
    """Where the service listens, as its `HUASHU_URL` or `HUASHU_PORT` say."""
    url = env.get("HUASHU_URL", "").strip()
    if url:
        return url
    return f"http://127.0.0.1:{env.get('HUASHU_PORT', '').strip() or 8080}"

"""Defaults of the flags that name what a running service uses, read from the service's own
environment variables, so a terminal with the service's environment needs no flags: `--index` is
`$HUASHU_INDEX_DIR` (else `index`), `admin --url` is `$HUASHU_URL`, else
`http://127.0.0.1:$HUASHU_PORT` (else port 8080)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

INDEX_HELP = "index folder (default: $HUASHU_INDEX_DIR, else index/)"
URL_HELP = "the service (default: $HUASHU_URL, else http://127.0.0.1:$HUASHU_PORT, else port 8080)"


def index_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The shops' snapshots, where the service keeps them."""
    return Path(env.get("HUASHU_INDEX_DIR", "").strip() or "index")


def service_url(env: Mapping[str, str] = os.environ) -> str:
    """Where the service listens, as its `HUASHU_URL` or `HUASHU_PORT` say."""
    url = env.get("HUASHU_URL", "").strip()
    if url:
        return url
    return f"http://127.0.0.1:{env.get('HUASHU_PORT', '').strip() or 8080}"

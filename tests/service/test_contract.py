"""OpenAPI covers every route, metrics expose the named series, settings are documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.service.query_params import documented
from assistant.service.settings import Secret, Settings, SettingsError, setting_docs

from .helpers import suggest_body

DOC = Path(__file__).resolve().parents[2] / "docs" / "service.md"


async def test_openapi_lists_every_route(client: TestClient[Any, Any]) -> None:
    document = await (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    for route in client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        assert path in document["paths"], path
        assert route.method.lower() in document["paths"][path], (route.method, path)
    for name in ("SuggestBody", "SuggestResponse", "ErrorResponse", "ChatwootEvent"):
        assert name in document["components"]["schemas"]


_READS = (
    (re.compile(r'query\.get\(\s*"(\w+)"'), None),
    (re.compile(r'_int\(request, "(\w+)"'), None),
    (re.compile(r"\b_days\(request\b"), "days"),
    (re.compile(r"\brebuild_wanted\(request\)"), "rebuild"),
)


async def test_every_query_parameter_a_route_reads_is_documented_on_it(client: TestClient[Any, Any]) -> None:
    # unknown query parameters are refused by what the OpenAPI entry lists (query_params.py): a
    # parameter a handler reads but its entry omits (?rebuild= on POST /v1/admin/shops) breaks callers
    document = client.app[keys.OPENAPI]
    checked = 0
    for route in client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if not path.startswith("/v1/") or route.method == "HEAD":
            continue
        source = inspect.getsource(route.handler)
        read = {m.group(1) if name is None else name for pattern, name in _READS for m in pattern.finditer(source)}
        assert read <= (documented(document, path, route.method) or frozenset()), (route.method, path, read)
        checked += bool(read)
    assert checked >= 8


async def test_metrics_expose_the_named_series(client: TestClient[Any, Any]) -> None:
    assert (await client.post("/v1/suggest", json=suggest_body("在吗"))).status == 200
    response = await client.get("/metrics")
    assert response.status == 200
    text = await response.text()
    for series in (
        'huashu_requests_total{method="POST",route="/v1/suggest",status="200"}',
        'huashu_request_seconds_bucket{le="0.005",route="/v1/suggest"}',
        "huashu_batch_size_bucket",
        "huashu_queue_depth",
        "huashu_rejected_total",
        "huashu_embedding_cache_hits_total",
        "huashu_embedding_cache_misses_total",
        "huashu_index_loaded 1.0",
        "huashu_index_version_info{",
    ):
        assert series in text, series


async def test_health(client: TestClient[Any, Any]) -> None:
    assert (await (await client.get("/healthz")).json())["ok"] is True
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["status"] == "ready"


def test_settings_from_a_mapping() -> None:
    settings = Settings.from_env({"HUASHU_PORT": "9000", "HUASHU_LOG_JSON": "off", "HUASHU_WEBHOOK_SECRET": "s3cret"})
    assert settings.port == 9000 and settings.log_json is False
    assert settings.webhook_secret == "s3cret"
    assert "s3cret" not in repr(settings)
    assert repr(Secret("x")) == "Secret('**********')"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HUASHU_LOG_JSON", "maybe"),
        ("HUASHU_PORT", "eighty"),
        ("HUASHU_QUEUE_TOKENS", "0"),
        ("HUASHU_BUILD_PROCESSES", "0"),
        ("HUASHU_BUILD_PROCESSES", "two"),
    ],
)
def test_bad_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_the_docs_list_every_setting() -> None:
    for doc_file in (DOC, DOC.parents[1] / "README.md"):
        text = doc_file.read_text(encoding="utf-8")
        missing = [doc.env for doc in setting_docs() if f"`{doc.env}`" not in text]
        assert not missing, f"{doc_file.name} lacks {missing}: paste `settings_table()` again"

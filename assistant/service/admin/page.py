"""The admin page at `/admin`: static files served by the service (no CDN, no build step).

The page holds no data of its own: after the token login it reads `/v1/admin/me`, `.../stats`,
`.../gaps` and `.../candidates` (and follows the rebuild job a close or an approval starts) with
the token as a Bearer header (kept in the tab's `sessionStorage` only), and draws its charts as
inline SVG with `charts.js`. Everything customer- or agent-written is put on the page as text
(`textContent`), and the Content-Security-Policy lets only the page's own script and style run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
ASSETS = {"admin.js": "admin.js", "charts.js": "charts.js", "admin.css": "admin.css"}


def _file(name: str) -> web.FileResponse:
    response = web.FileResponse(STATIC / name)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def admin_page(request: web.Request) -> web.StreamResponse:
    return _file("admin.html")


def _asset(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        return _file(name)

    return serve


def add_admin_page(app: web.Application) -> None:
    app.router.add_get("/admin", admin_page, allow_head=False)
    for path, name in ASSETS.items():
        app.router.add_get(f"/admin/{path}", _asset(name), allow_head=False)

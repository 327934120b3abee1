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
PANEL_STATIC = Path(__file__).parent.parent / "panel" / "static"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# The cue and escalation names are the panel's file, so the two pages cannot disagree.
ASSETS = {
    "admin.js": STATIC / "admin.js",
    "charts.js": STATIC / "charts.js",
    "admin.css": STATIC / "admin.css",
    "labels.js": PANEL_STATIC / "labels.js",
}


def _file(path: Path) -> web.FileResponse:
    response = web.FileResponse(path)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def admin_page(request: web.Request) -> web.StreamResponse:
    return _file(STATIC / "admin.html")


def _asset(path: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        return _file(path)

    return serve


def add_admin_page(app: web.Application) -> None:
    app.router.add_get("/admin", admin_page, allow_head=False)
    for name, path in ASSETS.items():
        app.router.add_get(f"/admin/{name}", _asset(path), allow_head=False)

"""`create_admin_app()`: the admin sub-app, mounted by `create_app` at `/v1/admin`.

Each module of this package adds its own routes (`add_routes(admin)`); handlers read the root
app's state through `request.config_dict[keys.X]` and start with
`await authenticate(request, role="admin", shop=shop)`.
"""

from __future__ import annotations

from aiohttp import web

from assistant.service.admin import analytics, candidates, index, knowledge, shops, tokens

PREFIX = "/v1/admin"


def create_admin_app() -> web.Application:
    admin = web.Application()
    analytics.add_routes(admin)
    candidates.add_routes(admin)
    shops.add_routes(admin)
    knowledge.add_routes(admin)
    index.add_routes(admin)
    tokens.add_routes(admin)
    return admin

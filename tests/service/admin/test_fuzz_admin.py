"""Fuzzing the routes behind a token (issue 10, "keep it proved"): schemathesis requests from the
service's own /openapi.json with the demo shop's admin token and `shop` set to `demo`, so the
admin and panel routes read and validate their generated bodies and parameters instead of
answering 401/403 first (tests/service/test_fuzz.py sends the same routes without a token).
Zero 5xx, zero hangs, every rejection in the envelope. Sized by `HUASHU_FUZZ_SCALE`.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

from ..test_fuzz import SCALE, Outcomes, case_body, openapi_requests, send_all
from .conftest import AdminFactory

# Paths whose answers are not about input: a live stream never ends by design, and the pages and
# scripts have no parameters to fuzz.
SKIPPED = ("/panel/events", "/openapi.json", "/metrics", "/healthz", "/readyz")


async def test_authorised_requests_generated_from_openapi_never_fail(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    client = admin.client
    document = await (await client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [
        op
        for op in (r.ok() for r in schema.get_all_operations())
        if op.path not in SKIPPED and not op.path.endswith((".js", ".css"))
    ]
    requests = openapi_requests(operations, max(5, int(2000 * SCALE / (2 * len(operations)))))
    token = {"Authorization": f"Bearer {admin.admin}"}

    async def send(case: Any, outcomes: Outcomes, what: str) -> None:
        headers = {**{str(k): str(v) for k, v in (case.headers or {}).items()}, **token}
        body = case_body(case)
        if body is not None and case.media_type:
            headers.setdefault("Content-Type", case.media_type)
        if case.path_parameters and "shop" in case.path_parameters:
            case.path_parameters["shop"] = "demo"
        query = {str(k): str(v) for k, v in (case.query or {}).items()}
        query.pop("token", None)  # the header's token is the one meant
        async with client.request(case.method, case.formatted_path, params=query, headers=headers, data=body) as r:
            await outcomes.check(r, what)

    outcomes = Outcomes()
    await send_all(requests, outcomes, send)
    statuses = dict(outcomes.statuses)
    print(f"\nauthorised openapi fuzz: {len(requests)} requests over {len(operations)} operations: {statuses}")
    assert len(requests) >= int(1000 * SCALE)
    assert not outcomes.failures, outcomes.failures[:10]
    # the token was taken: most answers are about the input, not about who is calling
    assert outcomes.statuses[401] + outcomes.statuses[403] < len(requests) / 4, json.dumps(statuses)

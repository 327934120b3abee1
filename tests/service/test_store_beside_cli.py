"""The shop commands work on the store a running service uses: both write, neither fails."""

from __future__ import annotations

import asyncio
from pathlib import Path

from assistant.cli import main
from assistant.knowledge.files import read_rows
from assistant.service import keys
from assistant.storage.protocols import revision_of
from tests.conftest import KNOWLEDGE

from .conftest import ClientFactory, make_settings
from .helpers import suggest_body


async def test_shop_commands_beside_a_serving_app(make_client: ClientFactory, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    client = await make_client(make_settings(database_url=url))
    await client.app[keys.STORE].create_shop("demo", "demo")
    _, secret = await client.app[keys.STORE].create_token("demo", "agent")  # open mode ends with any token
    headers = {"Authorization": f"Bearer {secret}"}

    async def requests() -> list[int]:
        statuses = []
        for n in range(20):
            body = suggest_body("发什么快递", conversation_id="beside", message_id=f"m-{n}")
            statuses.append((await client.post("/v1/suggest", json=body, headers=headers)).status)
        return statuses

    def commands() -> list[int]:
        return [
            main(["shop", "create", "tea", "--knowledge", str(KNOWLEDGE), "--database-url", url]),
            main(["shop", "import", "tea", str(KNOWLEDGE), "--database-url", url]),
            main(["token", "create", "--shop", "tea", "--role", "agent", "--database-url", url]),
        ]

    statuses, codes = await asyncio.gather(requests(), asyncio.to_thread(commands))
    assert statuses == [200] * 20 and codes == [0, 0, 0]
    store = client.app[keys.STORE]
    assert len(await store.messages("demo", "beside")) == 20
    assert await store.knowledge_revision("tea") == revision_of(read_rows(KNOWLEDGE))
    assert await store.has_tokens()

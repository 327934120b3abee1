"""Panel latency, measured in the browser: webhook arrival -> suggestions drawn, minus suggesting.

    python benchmarks/panel_latency.py [--messages 60] [--index index] [--authored]
                                       [--jddc ../shared/data/jddc/sessions.jsonl] [--screenshots docs/img]

Starts the service in this process (the bundled model, the snapshot in `--index`, an in-memory
store) on a free port, opens `/panel?conversation=bench` in headless Chromium (Debian's
`/usr/bin/chromium`), then posts customer messages one at a time to the signed generic
webhook: real JD.com customer turns from ../shared/data/jddc (or the authored demo queries
with `--authored`). For each, the panel's overhead is the time from just before the POST to
the moment the browser has drawn the suggestions (`window.huashuPanel.drawn`, set after the
next animation frame) minus the service's own suggest time (`timing.total_ms`). Both clocks
are this machine's wall clock. Prints p50 / p95 / max of each, and the first-load size.

`--screenshots DIR` also writes DIR/panel-calm.png and DIR/panel-angry.png (1280 px wide) and
DIR/panel-narrow.png (400 px, a Chatwoot sidebar) for the README and docs/panel.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from playwright.async_api import Page, async_playwright

from assistant.service.app import create_app
from assistant.service.platforms.signing import sign
from assistant.service.settings import Settings

REPO = Path(__file__).resolve().parents[1]
JDDC = REPO.parent / "shared" / "data" / "jddc" / "sessions.jsonl"
AUTHORED = REPO / "tests" / "data" / "demo_queries.jsonl"
SECRET = "panel-benchmark"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CALM = ["你好，这款四件套是纯棉的吗", "快递几天能到呀"]
ANGRY = ["我的快递怎么还没到", "都三天了还没发货！你们到底怎么回事，再不发我就投诉到12315！"]


def customer_texts(authored: bool, jddc: Path, limit: int) -> list[str]:
    texts: list[str] = []
    if authored:
        for line in AUTHORED.read_text("utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line)["text"]))
    else:
        for line in jddc.read_text("utf-8").splitlines():
            for turn in json.loads(line)["turns"] if line.strip() else []:
                text = str(turn["text"]).strip()
                if turn["role"] == "customer" and 2 <= len(text) <= 200:
                    texts.append(text)
            if len(texts) >= limit:
                break
    return texts[:limit]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def post(session: aiohttp.ClientSession, base: str, conversation: str, message_id: str, text: str) -> Any:
    body = json.dumps(
        {"shop": "demo", "conversation_id": conversation, "message": {"id": message_id, "text": text}},
        ensure_ascii=False,
    ).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Huashu-Timestamp": stamp,
        "X-Huashu-Signature": sign(SECRET, stamp, body),
    }
    async with session.post(f"{base}/v1/webhooks/generic", data=body, headers=headers) as response:
        response.raise_for_status()
        return await response.json()


async def drawn_at(page: Page, message_id: str) -> float:
    handle = await page.wait_for_function(
        "(id) => window.huashuPanel && window.huashuPanel.drawn[id]", arg=message_id, timeout=60_000
    )
    return float(await handle.json_value())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def screenshots(page: Page, session: aiohttp.ClientSession, base: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, texts in (("calm", CALM), ("angry", ANGRY)):
        conversation = {"calm": "1024", "angry": "1025"}[name]
        await page.goto(f"{base}/panel?conversation={conversation}")
        for i, text in enumerate(texts):
            message_id = f"{conversation}-{i}"
            await post(session, base, conversation, message_id, text)
            await drawn_at(page, message_id)
        await page.screenshot(path=str(folder / f"panel-{name}.png"), full_page=True)
        if name == "angry":
            await page.set_viewport_size({"width": 400, "height": 900})
            await page.screenshot(path=str(folder / "panel-narrow.png"), full_page=True)
            await page.set_viewport_size({"width": 1280, "height": 800})
        print(f"wrote {folder}/panel-{name}.png")


async def run(args: argparse.Namespace) -> None:
    if not args.authored and not args.jddc.exists():
        print(f"JDDC data not found at {args.jddc}; pass --jddc PATH or --authored", file=sys.stderr)
        raise SystemExit(2)
    texts = customer_texts(args.authored, args.jddc, args.messages)
    settings = Settings.from_env(
        {
            "HUASHU_INDEX_DIR": str(args.index),
            "HUASHU_DATABASE_URL": "sqlite://:memory:",
            "HUASHU_WEBHOOK_SECRET": SECRET,
            "HUASHU_LOG_LEVEL": "WARNING",
            "HUASHU_REQUEST_TIMEOUT_S": "60",
        }
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session, async_playwright() as playwright:
            while (await session.get(f"{base}/readyz")).status != 200:
                await asyncio.sleep(0.5)
            first_load = 0
            for path in ("/panel", "/panel/panel.js", "/panel/panel.css"):
                first_load += len(await (await session.get(base + path)).read())
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{base}/panel?conversation=bench")
            await page.wait_for_selector("#status[data-state=online]")
            await post(session, base, "bench", "warm-up", "你好")  # the first encode loads lazily
            await drawn_at(page, "warm-up")
            overhead, suggest, total = [], [], []
            for i, text in enumerate(texts):
                message_id = f"bench-{i}"
                started = time.time() * 1000
                answer = await post(session, base, "bench", message_id, text)
                drawn = await drawn_at(page, message_id)
                suggest.append(float(answer["timing"]["total_ms"]))
                total.append(drawn - started)
                overhead.append(drawn - started - suggest[-1])
            source = "authored demo queries" if args.authored else "JDDC customer turns"
            print(f"{len(texts)} messages from {source}, one at a time, panel at 1280 px")
            rows = (("suggest (service)", suggest), ("arrival->drawn", total), ("panel overhead", overhead))
            for name, values in rows:
                print(
                    f"{name:>18}: p50 {statistics.median(values):7.1f} ms  p95 {pct(values, 0.95):7.1f} ms  "
                    f"max {max(values):7.1f} ms"
                )
            print(f"first load: {first_load} bytes (panel.html + panel.js + panel.css, uncompressed)")
            if args.screenshots:
                await screenshots(page, session, base, Path(args.screenshots))
            await browser.close()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--index", type=Path, default=REPO / "index", help="index folder with a snapshot")
    parser.add_argument("--authored", action="store_true", help="authored demo queries instead of JDDC")
    parser.add_argument("--jddc", type=Path, default=JDDC, help="JDDC sessions.jsonl")
    parser.add_argument("--screenshots", default="", help="folder to write the panel screenshots into")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

"""The weekly refresh (`weekly.WeeklyReport`) as Markdown or as one self-contained HTML page, in
Chinese, the language of the shop's team and of the panel and admin pages.

Every text that came from customers or agents is escaped: in Markdown the characters that
would turn into markup (`|`, `*`, `_`, `` ` ``, `<`, `[` ...), in HTML by `html.escape`, and
the page carries no script and no outside resource.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from assistant.knowledge.calendar import SHOP_ZONE
from assistant.learning.analytics import ReplyLine
from assistant.learning.gaps import clip_example
from assistant.learning.weekly import GapLine, OnceLine, WeeklyReport

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
CLIP = 120


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= CLIP else flat[: CLIP - 1] + "…"


def md(text: str) -> str:
    """A customer's or an agent's text, safe inside a Markdown table cell."""
    return _MD_SPECIAL.sub(r"\\\1", _clip(text))


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def _summary(report: WeeklyReport) -> list[str]:
    t = report.totals
    matched = t.used + t.edited + t.not_used
    return [
        f"- 有推荐的客户消息：{t.customer_messages} 条，可回答：{t.answerable} 条"
        f"（{_share(t.answerable, t.customer_messages)}）",
        f"- 客服回复：{t.agent_replies} 条；其中之前展示过推荐的 {matched} 条："
        f"原样使用 {t.used}，修改后使用 {t.edited}，未使用 {t.not_used}"
        f"（采纳：{_share(t.used + t.edited, matched)}）",
    ]


SECTIONS = (
    ("新的知识缺口", "客户问了、却没有合适回复的问题（补一条 FAQ 即可关闭）"),
    ("只问过一次的问题", "没有合适回复、本周只有一位客户问过的（最近的在前）：还不算缺口，再有客户问到就会并入缺口"),
    ("最常用的回复", "原样或修改后发送的在前，其次是只在面板里选用（使用、编辑、发送）的"),
    ("从未使用", "排在首位展示、客服的真实回复有记录（至少 {n} 次）、却从未发送、也没在面板里选用的：建议下架"),
    ("常被修改", "客服发送前总要改写的：建议改写"),
)
LAST_SEEN = "最近一次（北京时间）"  # the shop's zone, as the admin page says its times (`when`)
GAPS = 0  # the section that says how many it lists of how many
NEVER_USED = 3  # the section that also says how many entries were never shown
NOT_SHOWN = "另有 {n} 条回复本周一次也没有展示（没展示过不算没人用，不建议下架）。"
# Said instead of the list while no agent reply is recorded: being shown is no evidence that
# agents pass a reply over (`analytics.MIN_REPLIED`).
NO_EVIDENCE = "还没有客服回复的记录，暂不建议下架。"
TOO_NEW = "本周或之后新加入、改过的 {n} 条不在此列（用的时间还不够，看下周的报告）。"
NONE = "本周没有。"


def _gap_row(g: GapLine) -> list[str]:
    return [
        str(g.count),
        ("新" if g.new else "之前列过"),
        " / ".join(clip_example(e, 40) for e in g.examples[:3]),  # each cut: a long one hides no other
        g.suggested_reply or "（没有共同的客服回复）",
        when(g.last_seen),
    ]


def _once_row(o: OnceLine) -> list[str]:
    return [clip_example(o.text), o.reply or "（客服没有回复）", when(o.at)]


def when(stamp: str) -> str:
    """An ISO time as a reader writes it, to the minute, in the shop's zone (北京时间, as the admin
    page shows it and the column says: `2026-12-06 22:11` for 14:11 UTC; a user test read
    `2026-12-06T14:11:03\\+00:00`, Markdown's escape of the raw form, and then a UTC time beside
    the page's Beijing one); a time without a zone is UTC, as the store writes them; text that is
    no time as is."""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(SHOP_ZONE).strftime("%Y-%m-%d %H:%M")


def _used_row(r: ReplyLine) -> list[str]:
    return [r.entry_id, r.text, str(r.used), str(r.edited), str(r.picked), str(r.shown)]


def _never_row(r: ReplyLine) -> list[str]:
    return [r.entry_id, r.text, str(r.shown), str(r.replied)]


def _count(n: int, rows: int, report: WeeklyReport) -> str:
    """A section's count: for the gaps how many are listed of how many were found (`10` read as
    the total beside the admin API's `open_gaps` 34), for the others how many are listed."""
    if n == GAPS and report.all_gaps > rows:
        return f"前 {rows} 个，共 {report.all_gaps} 个"
    return str(rows)


def _about(n: int, about: str, report: WeeklyReport) -> str:
    return about.format(n=report.min_replied) if n == NEVER_USED else about


def _empty(n: int, report: WeeklyReport) -> str:
    """What an empty section says: for the replies to retire, whether agents' replies are recorded."""
    t = report.totals
    return NO_EVIDENCE if n == NEVER_USED and not t.used + t.edited + t.not_used else NONE


def _edited_row(r: ReplyLine) -> list[str]:
    kept = "–" if r.mean_similarity is None else f"{r.mean_similarity:.2f}"
    return [r.entry_id, r.text, str(r.edited), str(r.used), kept, r.latest_edit or ""]


def _tables(report: WeeklyReport) -> list[tuple[list[str], list[list[str]]]]:
    return [
        (["提问次数", "状态", "例子", "客服最常用的回复", LAST_SEEN], [_gap_row(g) for g in report.new_gaps]),
        (["问题", "客服的回复", "时间（北京时间）"], [_once_row(o) for o in report.asked_once]),
        (["条目", "回复", "原样", "修改后", "面板选用", "展示"], [_used_row(r) for r in report.most_used]),
        (["条目", "回复", "展示", "其中有客服回复"], [_never_row(r) for r in report.never_used]),
        (["条目", "回复", "修改后发送", "原样发送", "平均保留", "最近一次改成"],
         [_edited_row(r) for r in report.often_edited]),
    ]  # fmt: skip


def render_markdown(report: WeeklyReport) -> str:
    lines = [f"# 话术周报：{md(report.shop_label)}，{report.since} 至 {report.until}", "", *_summary(report)]
    for n, ((title, about), (header, rows)) in enumerate(zip(SECTIONS, _tables(report), strict=True)):
        lines += ["", f"## {title}（{_count(n, len(rows), report)}）", "", f"_{_about(n, about, report)}_", ""]
        if n == NEVER_USED and report.never_shown:
            lines += [NOT_SHOWN.format(n=report.never_shown), ""]
        if n == NEVER_USED and report.too_new:
            lines += [TOO_NEW.format(n=report.too_new), ""]
        if not rows:
            lines.append(_empty(n, report))
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;"
    "margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3}.about{color:#666}"
)


def render_html(report: WeeklyReport) -> str:
    e = html.escape
    title = f"话术周报：{report.shop_label}，{report.since} 至 {report.until}"
    parts = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1><ul>",
        *(f"<li>{e(line[2:])}</li>" for line in _summary(report)),
        "</ul>",
    ]
    for n, ((heading, about), (header, rows)) in enumerate(zip(SECTIONS, _tables(report), strict=True)):
        count = _count(n, len(rows), report)
        parts.append(f'<h2>{e(heading)}（{count}）</h2><p class="about">{e(_about(n, about, report))}</p>')
        if n == NEVER_USED and report.never_shown:
            parts.append(f"<p>{NOT_SHOWN.format(n=report.never_shown)}</p>")
        if n == NEVER_USED and report.too_new:
            parts.append(f"<p>{TOO_NEW.format(n=report.too_new)}</p>")
        if not rows:
            parts.append(f"<p>{_empty(n, report)}</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(_clip(c))}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

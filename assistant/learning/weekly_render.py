"""The weekly refresh (`weekly.WeeklyReport`) as Markdown or as one self-contained HTML page.

Every text that came from customers or agents is escaped: in Markdown the characters that
would turn into markup (`|`, `*`, `_`, `` ` ``, `<`, `[` ...), in HTML by `html.escape`, and
the page carries no script and no outside resource.
"""

from __future__ import annotations

import html
import re

from assistant.learning.analytics import ReplyLine
from assistant.learning.weekly import GapLine, WeeklyReport

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
        f"- customer messages suggested for: {t.customer_messages}, answerable: {t.answerable} "
        f"({_share(t.answerable, t.customer_messages)})",
        f"- agent replies: {t.agent_replies}; with suggestions shown before them: {matched} — "
        f"used as is {t.used}, edited {t.edited}, not used {t.not_used} "
        f"(used or edited: {_share(t.used + t.edited, matched)})",
    ]


SECTIONS = (
    ("New knowledge gaps", "what customers asked that nothing answered (close one: add a FAQ entry)"),
    ("Most used replies", "sent as shown or with edits, then picked in the panel (use, edit, send)"),
    ("Never used", "shown, never sent and never picked in the panel, then never shown: candidates to retire"),
    ("Often edited", "agents keep changing these before sending: candidates to reword"),
)


def _gap_row(g: GapLine) -> list[str]:
    return [
        str(g.count),
        ("new" if g.new else "listed before"),
        " / ".join(g.examples[:3]),
        g.suggested_reply or "(no agent reply)",
        g.last_seen,
    ]


def _used_row(r: ReplyLine) -> list[str]:
    return [r.entry_id, r.text, str(r.used), str(r.edited), str(r.picked), str(r.shown)]


def _never_row(r: ReplyLine) -> list[str]:
    return [r.entry_id, r.text, str(r.shown)]


def _edited_row(r: ReplyLine) -> list[str]:
    kept = "–" if r.mean_similarity is None else f"{r.mean_similarity:.2f}"
    return [r.entry_id, r.text, str(r.edited), str(r.used), kept, r.latest_edit or ""]


def _tables(report: WeeklyReport) -> list[tuple[list[str], list[list[str]]]]:
    return [
        (["asked", "status", "examples", "agents' most common reply", "last seen"],
         [_gap_row(g) for g in report.new_gaps]),
        (["entry", "reply", "used", "edited", "picked in panel", "shown"], [_used_row(r) for r in report.most_used]),
        (["entry", "reply", "shown"], [_never_row(r) for r in report.never_used]),
        (["entry", "reply", "edited", "used as is", "similarity kept", "latest edit"],
         [_edited_row(r) for r in report.often_edited]),
    ]  # fmt: skip


def render_markdown(report: WeeklyReport) -> str:
    lines = [f"# 话术 weekly refresh: {md(report.shop)}, {report.since} to {report.until}", "", *_summary(report)]
    for (title, about), (header, rows) in zip(SECTIONS, _tables(report), strict=True):
        lines += ["", f"## {title} ({len(rows)})", "", f"_{about}_", ""]
        if title == "Never used" and report.never_shown:
            lines += [f"{report.never_shown} entries were not shown at all this week.", ""]
        if not rows:
            lines.append("None this week.")
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
    title = f"话术 weekly refresh: {report.shop}, {report.since} to {report.until}"
    parts = [
        "<!doctype html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1><ul>",
        *(f"<li>{e(line[2:])}</li>" for line in _summary(report)),
        "</ul>",
    ]
    for (heading, about), (header, rows) in zip(SECTIONS, _tables(report), strict=True):
        parts.append(f'<h2>{e(heading)} ({len(rows)})</h2><p class="about">{e(about)}</p>')
        if heading == "Never used" and report.never_shown:
            parts.append(f"<p>{report.never_shown} entries were not shown at all this week.</p>")
        if not rows:
            parts.append("<p>None this week.</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(_clip(c))}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

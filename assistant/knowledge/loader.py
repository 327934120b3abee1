"""Load and validate the knowledge base directory; report every bad row as `file:line: what`.

Layout (documented for shop owners in knowledge/README.md):

    shop.yaml            mapping: name, description, timezone, service_hours
    faq/*.yaml           FAQ entries: id, stage, category, question, variants, answer, tags[, starts, ends]
    products.yaml        products: id, name, aliases, category, price, specs, selling_points, qa
    policies.yaml        policies: id, kind, title, text, questions, reply, tags[, starts, ends]
    promotions.yaml      promotions: id, title, starts, ends, rules, questions, reply, tags
    past_replies.jsonl   one past good reply per line: id, customer, reply, context, ...

Nothing is built from a broken source: `load_knowledge` collects every problem it finds and
raises one `KnowledgeError` listing them all, an id used twice included (a row with problems of
its own still claims its id, so a duplicate is not told only once the rest is fixed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.knowledge.model import KnowledgeEntry, SourceKind, Stage
from assistant.knowledge.rows import Row, RowReader, json_problem, load_yaml, yaml_problem, yaml_rows


class KnowledgeError(Exception):
    """The knowledge sources are broken; `problems` lists each as `file:line: what is wrong`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n" + "\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """A validated knowledge base: the shop, its entries and a checksum of every source file."""

    shop_name: str
    entries: tuple[KnowledgeEntry, ...]
    sources: dict[str, str]

    def counts(self) -> dict[str, int]:
        """Entries per source kind, in a stable order."""
        out = {kind.value: 0 for kind in SourceKind}
        for entry in self.entries:
            out[entry.kind.value] += 1
        return out


POLICY_KINDS = frozenset(
    [
        "shipping",
        "return",
        "exchange",
        "refund",
        "warranty",
        "invoice",
        "price_protection",
        "compensation",
        "privacy",
        "other",
    ]
)


def _season(row: Row, required: bool) -> tuple[dt.date | None, dt.date | None]:
    """`starts` and `ends`: a promotion's days, or an FAQ's or a policy's that holds only for a
    while (满300减40券…活动到12月12日); `calendar.py` keeps an entry out of season unsuggested."""
    starts, ends = row.date("starts", required=required), row.date("ends", required=required)
    if starts and ends and ends < starts:
        row.problem("ends", f"ends ({ends}) is before starts ({starts})")
    return starts, ends


def _faq(row: Row) -> KnowledgeEntry | None:
    row.allow("id", "stage", "category", "question", "variants", "answer", "tags", "starts", "ends")
    entry_id = row.ident()
    stage = row.choice("stage", {s.value for s in Stage})
    category = row.text("category")
    question = row.text("question")
    variants = row.texts("variants", minimum=1)
    answer = row.text("answer")
    tags = row.tags()
    starts, ends = _season(row, required=False)
    if row.failed:
        return None
    return KnowledgeEntry(
        id=entry_id, kind=SourceKind.FAQ, questions=(question, *variants), reply=answer,
        tags=tags, stage=Stage(stage), category=category, origin=row.origin, starts=starts, ends=ends,
    )  # fmt: skip


QA_MARK = "-qa-"  # a product's n-th question and answer is the entry {product id}-qa-{n}


def entries_of_rows(entry_ids: Iterable[str], row_ids: Collection[str]) -> frozenset[str]:
    """Which of `entry_ids` come from the rows `row_ids`: the row's own entry, and for a product
    row its questions and answers too (one product row is several entries)."""
    return frozenset(e for e in entry_ids if e in row_ids or (QA_MARK in e and e.rsplit(QA_MARK, 1)[0] in row_ids))


PRODUCT_ASKS = ("{}多少钱", "{}什么价", "{}价格")
"""How customers ask a product's price: each, under the product's name, every alias and its
category, is a question key of the product's overview, whose reply gives the price of every size.
Without them 四件套多少钱 matched 四件套少了一件 (the missing-item complaint) at 0.97 and
电热毯多少钱 the power answer (功率多少); the overview's only keys were its name and specs. Only
the price: 有电热毯吗 and 电热毯怎么样 as keys made the overview a sure runner-up (0.95–0.98) for
every question naming the product (四件套会起球吗), and 有没有卖{}, with 羽绒被 as an alias, a sure
answer to 有没有卖羽绒服的 (docs/retrieval.md)."""


def product_keys(name: str, aliases: Sequence[str], category: str, specs: Iterable[str]) -> tuple[str, ...]:
    """The question keys of a product's overview: its name, its name with each spec, and the price
    asked (`PRODUCT_ASKS`) under its name, each alias and its category."""
    asked = (ask.format(term) for term in (name, *aliases, category) for ask in PRODUCT_ASKS)
    return tuple(dict.fromkeys((name, *(f"{name} {k}" for k in specs), *asked)))


def _product(row: Row) -> list[KnowledgeEntry]:
    row.allow("id", "name", "aliases", "category", "price", "specs", "selling_points", "qa")
    product_id = row.ident()
    name = row.text("name")
    aliases = row.texts("aliases", minimum=0, required=False)
    category = row.text("category")
    price = row.number("price")
    specs = row.mapping("specs")
    points = row.texts("selling_points", minimum=0, required=False)
    qa_rows = row.rows("qa")
    entries: list[KnowledgeEntry] = []
    for n, qa in enumerate(qa_rows, start=1):
        qa.allow("question", "variants", "answer", "tags")
        question, variants = qa.text("question"), qa.texts("variants", minimum=1)
        answer, tags = qa.text("answer"), qa.tags()
        if not qa.failed:
            entries.append(
                KnowledgeEntry(
                    id=f"{product_id}{QA_MARK}{n}", kind=SourceKind.PRODUCT,
                    questions=(question, *variants), reply=answer, tags=tags,
                    stage=Stage.PRE_SALE, category=category, origin=qa.origin,
                )
            )  # fmt: skip
    if row.failed or any(qa.failed for qa in qa_rows):
        return []
    facts = "；".join(f"{k}：{v}" for k, v in specs.items())
    overview = f"亲，{name}（¥{price:g}）{facts}。" + ("".join(p + "；" for p in points)).rstrip("；")
    keys = product_keys(name, aliases, category, specs)
    entries.insert(
        0,
        KnowledgeEntry(
            id=product_id, kind=SourceKind.PRODUCT, questions=keys, reply=overview.rstrip("。") + "。",
            tags=frozenset({"material", "size"}), stage=Stage.PRE_SALE, category=category,
            origin=row.origin,
        ),
    )  # fmt: skip
    return entries


def _policy(row: Row) -> KnowledgeEntry | None:
    row.allow("id", "kind", "title", "text", "questions", "reply", "tags", "starts", "ends")
    entry_id, kind = row.ident(), row.choice("kind", POLICY_KINDS)
    title, _text = row.text("title"), row.text("text")
    questions, reply, tags = row.texts("questions", minimum=1), row.text("reply"), row.tags()
    starts, ends = _season(row, required=False)
    if row.failed:
        return None
    return KnowledgeEntry(
        id=entry_id, kind=SourceKind.POLICY, questions=(title, *questions), reply=reply,
        tags=tags, category=kind, origin=row.origin, starts=starts, ends=ends,
    )  # fmt: skip


def _promotion(row: Row) -> KnowledgeEntry | None:
    row.allow("id", "title", "starts", "ends", "rules", "questions", "reply", "tags")
    entry_id, title = row.ident(), row.text("title")
    starts, ends = _season(row, required=True)
    row.text("rules")
    questions, reply, tags = row.texts("questions", minimum=1), row.text("reply"), row.tags()
    if row.failed:
        return None
    return KnowledgeEntry(
        id=entry_id, kind=SourceKind.PROMOTION, questions=(title, *questions), reply=reply,
        tags=tags, stage=Stage.PRE_SALE, category="promotion", origin=row.origin, starts=starts, ends=ends,
    )  # fmt: skip


def _past_reply(row: Row) -> KnowledgeEntry | None:
    row.allow("id", "customer", "reply", "context", "stage", "when", "why", "tags")
    entry_id, customer, reply = row.ident(), row.text("customer"), row.text("reply")
    context = row.texts("context", minimum=0, required=False)
    stage = row.choice("stage", {s.value for s in Stage}, required=False)
    row.date("when", required=False)
    row.text("why", required=False)
    tags = row.tags(minimum=0)
    if row.failed:
        return None
    return KnowledgeEntry(
        id=entry_id, kind=SourceKind.PAST_REPLY, questions=(customer,), reply=reply, tags=tags,
        stage=Stage(stage) if stage else None, category="past_reply", origin=row.origin,
        context=tuple(context),
    )  # fmt: skip


def _one(build: Callable[[Row], KnowledgeEntry | None]) -> Callable[[Row], list[KnowledgeEntry]]:
    """A builder of one entry per row as one of a list of entries (none for a bad row)."""

    def built(row: Row) -> list[KnowledgeEntry]:
        entry = build(row)
        return [] if entry is None else [entry]

    return built


def _jsonl_rows(data: bytes, display: str, reader: RowReader) -> list[Row]:
    rows: list[Row] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")  # a BOM, as YAML allows
        except UnicodeDecodeError:
            reader.problems.append(f"{display}:{number}: not valid UTF-8")
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            reader.problems.append(f"{display}:{number}: not valid JSON ({json_problem(exc)})")
            continue
        rows.append(reader.row(value, display, number, {}))
    return rows


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Read, validate and flatten the knowledge base in `directory` into entries."""
    if not directory.is_dir():
        what = "is a file, not a knowledge folder" if directory.exists() else "knowledge directory does not exist"
        raise KnowledgeError([f"{directory}: {what}"])
    reader = RowReader()
    entries: list[KnowledgeEntry] = []
    sources: dict[str, str] = {}

    def read(path: Path, display: str) -> bytes | None:
        try:
            raw = path.read_bytes()
        except IsADirectoryError:
            reader.problems.append(f"{display}: is a folder, not a file")
            return None
        except OSError as exc:
            reader.problems.append(f"{display}: cannot read ({exc.strerror or exc})")
            return None
        sources[display] = hashlib.sha256(raw).hexdigest()
        return raw

    def rows_of(path: Path) -> list[Row]:
        display = str(path.relative_to(directory))
        raw = read(path, display)
        if raw is None:
            return []
        if path.suffix == ".jsonl":
            return _jsonl_rows(raw, display, reader)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            reader.problems.append(f"{display}:{line}: not valid UTF-8 (save the file as UTF-8)")
            return []
        return yaml_rows(text, display, reader)

    shop_name = ""
    shop_path = directory / "shop.yaml"
    shop_raw = read(shop_path, "shop.yaml") if shop_path.exists() else None
    if shop_raw is not None:
        shop_text = shop_raw.decode("utf-8", errors="replace")
        try:
            shop = load_yaml(shop_text)
        except yaml.YAMLError as exc:
            line, problem = yaml_problem(exc, shop_text)
            reader.problems.append(f"shop.yaml:{line}: not valid YAML ({problem})")
            shop = None
        if isinstance(shop, dict) and isinstance(shop.get("name"), str) and shop["name"].strip():
            shop_name = shop["name"].strip()
        elif shop is not None:
            reader.problems.append("shop.yaml:1: needs a mapping with a non-empty `name`")

    claimed: list[tuple[str, str]] = []  # (id, origin) of every entry, and of every row that built none

    def add(rows: list[Row], build: Callable[[Row], list[KnowledgeEntry]]) -> None:
        for row in rows:
            built = build(row)
            entries.extend(built)
            claimed.extend((e.id, e.origin) for e in built)
            if not built and row.claimed_id:
                claimed.append((row.claimed_id, row.origin))

    for path in sorted((directory / "faq").glob("*.yaml")) + sorted((directory / "faq").glob("*.yml")):
        add(rows_of(path), _one(_faq))
    for name, build in (("policies.yaml", _policy), ("promotions.yaml", _promotion)):
        if (directory / name).exists():
            add(rows_of(directory / name), _one(build))
    if (directory / "products.yaml").exists():
        add(rows_of(directory / "products.yaml"), _product)
    for path in sorted(directory.glob("past_replies*.jsonl")):
        add(rows_of(path), _one(_past_reply))

    seen: dict[str, str] = {}
    for entry_id, origin in claimed:
        if entry_id in seen:
            reader.problems.append(f"{origin}: id {entry_id!r} is already used at {seen[entry_id]}")
        seen.setdefault(entry_id, origin)
    if not entries and not reader.problems:
        reader.problems.append(f"{directory}: no knowledge entries found (see knowledge/README.md)")
    if reader.problems:
        raise KnowledgeError(reader.problems)
    return KnowledgeBase(shop_name=shop_name, entries=tuple(entries), sources=sources)

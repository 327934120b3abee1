"""Hypothesis-made knowledge rows (issue 10, "keep it proved"): whatever a JSONL or YAML file
holds, loading it either succeeds or raises `KnowledgeError` whose every problem names
`file:line` (never another exception, never a hang)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.knowledge.loader import KnowledgeError, load_knowledge

FIELDS = ["id", "customer", "reply", "context", "stage", "when", "why", "tags", "question", "variants", "answer"]
VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30) | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
ROW = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), VALUE, max_size=8)
WHERE = re.compile(r"^(faq/a\.yaml|past_replies\.jsonl):\d+: |^/.*: no knowledge entries found")


def check(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        try:
            load_knowledge(root)
        except KnowledgeError as exc:
            assert all(WHERE.match(p) for p in exc.problems), exc.problems


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ROW | VALUE, max_size=4))
def test_any_jsonl_rows_load_or_name_file_and_line(rows: list[Any]) -> None:
    check({"past_replies.jsonl": "\n".join(json.dumps(r, ensure_ascii=False, default=str) for r in rows) + "\n"})


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ROW, max_size=4) | VALUE | st.text(max_size=60))
def test_any_yaml_loads_or_names_file_and_line(value: Any) -> None:
    text = value if isinstance(value, str) else yaml.safe_dump(value, allow_unicode=True)
    check({"faq/a.yaml": text})

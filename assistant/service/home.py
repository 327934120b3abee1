"""The service's home: the folder its default paths are in (`index/`, `knowledge/` and the SQLite
store `var/huashu.db`), for `huashu serve` and every command that reads what it keeps.

They used to be relative to the working directory, so `huashu serve` started from another folder
than the checkout made an empty index and store there and found no demo knowledge, silently (a
user test). The home is now:

* the working directory when it already holds one of them (the checkout itself, or a folder set up
  to run the service): as before, so a store or an index kept there is never left behind;
* else the checkout the `assistant` package runs from (the editable install the README sets up:
  the folder above the package holding `pyproject.toml` and `knowledge/`);
* else the working directory (an installed package has no checkout; the service then says at
  start that it found no knowledge folder, naming the path).

A path given by an environment variable or a flag is never moved: a relative one means the
working directory, as a user typing it means. The service logs the absolute paths it uses.
"""

from __future__ import annotations

from pathlib import Path

from assistant.service.settings import Settings
from assistant.storage.migrate import redact
from assistant.storage.sqlite import sqlite_path

PACKAGE = Path(__file__).resolve().parents[1]
"""The `assistant` package this code runs from."""

DEFAULT_PLACES = ("index", "knowledge", "var/huashu.db")
"""What the defaults name, relative to the home (a working directory holding one is a home)."""


def checkout(package: Path = PACKAGE) -> Path | None:
    """The source checkout `package` runs from (pyproject.toml and knowledge/ beside it), or None."""
    root = package.resolve().parent
    return root if (root / "pyproject.toml").is_file() and (root / "knowledge").is_dir() else None


def service_home(cwd: Path | None = None, package: Path = PACKAGE) -> Path | None:
    """The folder the default paths are in, for `Settings.from_env(env, home=...)`; None: the
    working directory `cwd` (it holds one of them, or there is no checkout to point into)."""
    here = Path.cwd() if cwd is None else cwd
    if any((here / place).exists() for place in DEFAULT_PLACES):
        return None
    return checkout(package)


def at_home(relative: Path, home: Path | None) -> Path:
    """A default path (`relative` to the home) as the service uses it."""
    return relative if home is None else home / relative


def paths(settings: Settings) -> dict[str, str]:
    """The absolute paths the service uses (logged at start): the index, the knowledge folder and
    the store (a SQLite file, or the database URL without its password)."""
    url = settings.database_url
    if url.startswith(("postgres://", "postgresql://")):
        store = redact(url)
    else:
        file = sqlite_path(url)
        store = str(Path(file).resolve()) if file is not None else f"{url or 'none'} (a throwaway SQLite store)"
    return {
        "index_dir": str(settings.index_dir.resolve()),
        "knowledge_dir": str(settings.knowledge_dir.resolve()),
        "store": store,
    }

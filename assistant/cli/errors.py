"""The one exception a command raises to stop with a message instead of a traceback."""

from __future__ import annotations


class CliError(Exception):
    """A user-facing failure: printed as `huashu: <message>` on stderr, exit code 2 by default."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code

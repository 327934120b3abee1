"""The one exception a command raises to stop with a message instead of a traceback."""

from __future__ import annotations


class CliError(Exception):
    """A user-facing failure: printed as `huashu: <message>` on stderr, exit code 2 by default."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def os_reason(exc: OSError) -> str:
    """Why a path could not be read or written, in words (no errno, no traceback)."""
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(exc, NotADirectoryError | FileExistsError):
        return "a folder on its path is a file"
    if isinstance(exc, FileNotFoundError):
        return "no such file or folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)

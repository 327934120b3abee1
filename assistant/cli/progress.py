"""A progress bar on stderr (tqdm) that commands hand to long-running work as a callback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(total: int, label: str, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """Yields `tick(n)`; draws nothing when `quiet` or when stderr is not a terminal."""
    bar = tqdm(total=total, desc=label, unit="text", file=sys.stderr, disable=quiet or None, leave=False)
    try:
        yield bar.update
    finally:
        bar.close()


def note(line: str, quiet: bool = False) -> None:
    """A line on stderr that leaves a progress bar drawn below it intact; nothing when `quiet`."""
    if not quiet:
        tqdm.write(line, file=sys.stderr)

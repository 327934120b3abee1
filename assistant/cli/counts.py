"""How the CLI says how much knowledge a shop holds: its entries, and shop.yaml apart.

The store counts rows, shop.yaml's among them: "13 rows" for 12 entries read as one entry too many
(a user test), so a count is said as `12 entries (+ shop.yaml)`.
"""

from __future__ import annotations


def entries_said(entries: int, rows: int) -> str:
    """`12 entries (+ shop.yaml)` for 12 entries in 13 rows (the row without an id is shop.yaml's)."""
    said = f"{entries} {'entry' if entries == 1 else 'entries'}"
    return f"{said} (+ shop.yaml)" if rows > entries else said

"""Media in PostgreSQL (``census_media``, bytea): shared by every server of the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .media import Media, check_name

if TYPE_CHECKING:
    from .pgstore import PgStore

PUT = """
INSERT INTO census_media (folder, name, data) VALUES (%s, %s, %s)
ON CONFLICT (folder, name) DO UPDATE SET data = EXCLUDED.data
"""


class PgMedia(Media):
    """Media rows of the store's database; inside ``atomic()``, in its transaction."""

    def __init__(self, store: PgStore) -> None:
        self.store = store

    def put(self, folder: str, name: str, data: bytes) -> None:
        """Keep the file (replacing one of the same name)."""
        check_name(folder, name)
        with self.store.connection() as conn:
            conn.execute(PUT, (folder, name, data))

    def get(self, folder: str, name: str) -> bytes | None:
        """The file's bytes, or None."""
        check_name(folder, name)
        with self.store.connection() as conn:
            row = conn.execute(
                "SELECT data FROM census_media WHERE folder = %s AND name = %s", (folder, name)
            ).fetchone()
        return bytes(row[0]) if row else None

    def delete(self, folder: str, name: str) -> None:
        """Remove the file if it is there."""
        check_name(folder, name)
        with self.store.connection() as conn:
            conn.execute("DELETE FROM census_media WHERE folder = %s AND name = %s", (folder, name))

    def names(self) -> list[tuple[str, str]]:
        """Every (folder, name) kept."""
        with self.store.connection() as conn:
            rows = conn.execute("SELECT folder, name FROM census_media ORDER BY 1, 2").fetchall()
        return [(str(f), str(n)) for f, n in rows]

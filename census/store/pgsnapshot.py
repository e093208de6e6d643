"""Whole-store reads and locks of a PostgreSQL store, for backup and restore.

Kept in the store layer with the tables they read: the backup service sees documents,
ids and counters, never SQL or psycopg.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from .errors import StoreError
from .pgstore import PgStore


@dataclass
class Snapshot:
    """Every collection's documents, last ids, the counters and the media, as of one moment."""

    present: bool = True  # False: a schema no server has opened yet (empty)
    last_ids: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    media: list[tuple[str, str, bytes]] = field(default_factory=list)  # (folder, name, data)


def read_snapshot(url: str) -> Snapshot:
    """Every row of the store at ``url``, read in one REPEATABLE READ snapshot."""
    found = Snapshot()
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                present = conn.execute(
                    "SELECT to_regclass('census_documents') IS NOT NULL,"
                    " to_regclass('census_counters') IS NOT NULL,"
                    " to_regclass('census_media') IS NOT NULL"
                ).fetchone()
                if not present or not present[0]:
                    found.present = False
                    return found
                last_ids: dict[str, int] = dict(
                    conn.execute("SELECT name, last_id FROM census_collections")
                )
                if present[1]:
                    found.numbers = {
                        str(name): int(value)
                        for name, value in conn.execute(
                            "SELECT name, value FROM census_counters ORDER BY name"
                        )
                    }
                for name in sorted(last_ids):
                    rows = conn.execute(
                        "SELECT id, rev, doc::text FROM census_documents"
                        " WHERE collection = %s ORDER BY id",
                        (name,),
                    ).fetchall()
                    found.last_ids[name] = int(last_ids[name])
                    if rows:
                        found.collections[name] = [
                            {"id": int(i), **orjson.loads(text), "_rev": int(rev)}
                            for i, rev, text in rows
                        ]
                if present[2]:  # the photos of records, in the same snapshot as they
                    found.media = [
                        (str(folder), str(name), bytes(data))
                        for folder, name, data in conn.execute(
                            "SELECT folder, name, data FROM census_media ORDER BY 1, 2"
                        )
                    ]
    except psycopg.Error as exc:
        raise StoreError(str(exc)) from None
    return found


def lock_and_hold_anything(store: PgStore) -> bool:
    """Inside an atomic block: keep other writers out; whether the store holds anything."""
    with store.connection() as conn:
        conn.execute("LOCK TABLE census_documents, census_counters IN SHARE ROW EXCLUSIVE MODE")
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM census_documents)"
            " OR EXISTS (SELECT 1 FROM census_counters)"
        ).fetchone()
    return bool(row and row[0])

"""Storage for Community Census: one interface (``base``), one module per backend.

This package is the only code that imports tinydb or psycopg. Open a data folder
(TinyDB) or a ``postgresql://`` URL with ``open_store``; everything else goes
through ``Store`` and ``Collection``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import APPEND_ONLY, Collection, Store
from .errors import (
    AppendOnly,
    Conflict,
    DuplicateKey,
    NotFound,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreMissing,
    is_disk_full,
)
from .media import Media
from .paths import Holding
from .pgschema import schema_of, with_search_path

URL_SCHEMES = ("postgresql", "postgres")

__all__ = [
    "APPEND_ONLY",
    "AppendOnly",
    "Collection",
    "Conflict",
    "DuplicateKey",
    "Holding",
    "Media",
    "NotFound",
    "Store",
    "StoreError",
    "StoreFull",
    "is_disk_full",
    "StoreLocked",
    "StoreMissing",
    "open_store",
    "schema_of",
    "with_search_path",
]


def open_store(
    data_dir: str | os.PathLike[str],
    *,
    fsync: bool = True,
    connections: int | None = None,
    create: bool = True,
) -> Store:
    """Open the store at ``data_dir``: a PostgreSQL URL, or a data folder for TinyDB.

    A folder is created if needed and owned by this process (``StoreLocked`` if
    another has it). A ``postgresql://`` URL may be shared by any number of
    processes; its tables are created on first use.

    ``fsync=False`` skips waiting for the disk: writes still survive the
    process being killed, but not a power cut. Use it in tests only.

    ``create=False`` opens a store that exists only: a folder without its data file, or a
    URL whose schema or tables are missing, raises ``StoreMissing`` instead of being made
    again, empty (an added community of a street: only adding it makes its store).

    ``connections``: at most this many connections of this process to the database, over
    every store opened on it (the first store opened sets it; None: 20).
    """
    url = database_url(data_dir)
    if url is not None:
        # psycopg is an extra: imported only for a URL, so the TinyDB default runs without it.
        try:
            from .pgstore import PgStore
        except ImportError as exc:
            if not (exc.name or "psycopg").startswith("psycopg"):
                raise
            raise StoreError(
                f"a PostgreSQL store needs psycopg ({exc}): "
                "pip install 'community-census[postgres]'"
            ) from exc
        from .pgschema import ensure_schema  # psycopg: only for a URL

        ensure_schema(url, create=create)
        if connections is None:
            return PgStore(url, fsync=fsync)
        return PgStore(url, fsync=fsync, connections=connections)
    from .tinystore import TinyStore

    if not create:
        require_folder(Path(data_dir))
    return TinyStore(data_dir, fsync=fsync)


def database_url(target: str | os.PathLike[str]) -> str | None:
    """Return ``target`` as a PostgreSQL URL if it is one, else None (it is a folder).

    ``Path("postgresql://host/db")`` reads ``postgresql:/host/db``: a URL that went
    through ``Path`` is recognised and repaired rather than taken for a folder (one
    without a host, ``postgresql:///db``, cannot be told apart: pass it as a string).
    """
    text = os.fspath(target)
    if not isinstance(text, str):
        return None
    for scheme in URL_SCHEMES:
        if text.startswith(scheme + "://"):
            return text
        if text.startswith(scheme + ":/") and not isinstance(target, str):
            return scheme + "://" + text[len(scheme) + 2 :]
    return None


def require_folder(folder: Path) -> None:
    """``StoreMissing`` unless ``folder`` holds a TinyDB store (its snapshot or journal)."""
    from .tinystorage import JOURNAL_NAME, SNAPSHOT_NAME

    if not folder.is_dir():
        raise StoreMissing(
            f"data folder {folder} does not exist: its records are not there "
            "(restore it from a backup; it is not made again empty)"
        )
    if not (folder / SNAPSHOT_NAME).exists() and not (folder / JOURNAL_NAME).exists():
        raise StoreMissing(
            f"data folder {folder} holds no {SNAPSHOT_NAME}: its records are not there "
            "(restore it from a backup; it is not made again empty)"
        )


def require_first(target: str | os.PathLike[str]) -> None:
    """``StoreMissing`` when the first community's store is gone while its added communities'
    are there (``communities/<code>/census.json`` of its folder, the schemas
    ``<schema>_<code>`` of its database): not a brand-new deployment, so not made again."""
    url = database_url(target)
    if url is not None:
        from .pgschema import require_first as require_first_schema

        require_first_schema(url)
        return
    from .tinystorage import JOURNAL_NAME, SNAPSHOT_NAME

    folder = Path(target)
    if (folder / SNAPSHOT_NAME).exists() or (folder / JOURNAL_NAME).exists():
        return
    added = sorted(folder.glob(f"communities/*/{SNAPSHOT_NAME}"))
    if added:
        raise StoreMissing(
            f"data folder {folder} holds no {SNAPSHOT_NAME} but its communities' folders do "
            f"({', '.join(p.parent.name for p in added)}): the first community's records are "
            "gone (restore it from a backup; it is not made again empty)"
        )

"""Storage for Community Census: one interface (``base``), one module per backend.

This package is the only code that imports tinydb. Open a data folder with
``open_store``; everything else goes through ``Store`` and ``Collection``.
"""

from __future__ import annotations

import os

from .base import APPEND_ONLY, Collection, Store
from .errors import AppendOnly, Conflict, DuplicateKey, NotFound, StoreError, StoreLocked

__all__ = [
    "APPEND_ONLY",
    "AppendOnly",
    "Collection",
    "Conflict",
    "DuplicateKey",
    "NotFound",
    "Store",
    "StoreError",
    "StoreLocked",
    "open_store",
]


def open_store(data_dir: str | os.PathLike[str], *, fsync: bool = True) -> Store:
    """Open (creating if needed) the data folder; ``StoreLocked`` if another process has it.

    ``fsync=False`` skips waiting for the disk: writes still survive the
    process being killed, but not a power cut. Use it in tests only.
    """
    from .tinystore import TinyStore

    return TinyStore(data_dir, fsync=fsync)

"""Languages: Chinese is the source language of the interface; English comes from a .po file.

The ``.mo`` files are compiled from the ``.po`` files when the package is installed or
built (``make install``, ``python -m build``), never by the running app: an installed
package's folder is not the app's to write. ``stale_catalogs`` tells whether a ``.po`` was
edited since (the test suite checks it, so a forgotten ``make translations`` shows).
"""

from __future__ import annotations

from pathlib import Path

from census.util.resources import TRANSLATIONS_DIR


def catalogs(folder: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Every ``messages.po`` under ``folder``."""
    return sorted(folder.glob("*/LC_MESSAGES/messages.po"))


def compile_catalogs(folder: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every ``messages.po`` under ``folder`` into its ``messages.mo``; the .mo paths."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in catalogs(folder):
        mo_path = po_path.with_suffix(".mo")
        with open(po_path, "rb") as fh:
            catalog = read_po(fh)
        tmp = mo_path.with_suffix(".mo.tmp")
        with open(tmp, "wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo_path)
        written.append(mo_path)
    return written


def stale_catalogs(folder: Path = TRANSLATIONS_DIR) -> list[Path]:
    """The ``.po`` files whose ``.mo`` is missing or older."""
    stale = []
    for po_path in catalogs(folder):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            stale.append(po_path)
    return stale

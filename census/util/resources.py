"""Where the product's own folders are: forms/, templates/, the code tables, the catalogues.

From a source checkout they are the top-level ``forms/`` and ``templates/`` beside the
package; an installed package carries the same folders inside it (``census/_product/``).
Every other module asks here, so there is one answer.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
_PARENT = PACKAGE_DIR.parent
# The source checkout the package runs from, or None once it is installed.
CHECKOUT = _PARENT if (_PARENT / "pyproject.toml").is_file() else None
_INSTALLED = PACKAGE_DIR / "_product"


def product_folder(name: str) -> Path:
    """``forms`` or ``templates``: the checkout's folder, else the installed copy."""
    if CHECKOUT is not None and (CHECKOUT / name).is_dir():
        return CHECKOUT / name
    return _INSTALLED / name


def default_data_dir() -> Path:
    """``$CENSUS_DATA_DIR``; else ``storage/`` of the checkout, or of the current folder."""
    if os.environ.get("CENSUS_DATA_DIR"):
        return Path(os.environ["CENSUS_DATA_DIR"])
    return (CHECKOUT or Path.cwd()) / "storage"


FORMS_DIR = product_folder("forms")
TEMPLATES_DIR = product_folder("templates")
STATIC_DIR = PACKAGE_DIR / "static"
CODE_TABLES_DIR = PACKAGE_DIR / "data"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"

"""Where a community of a street keeps its records, derived from the deployment's settings.

One rule, used by the web (each mounted community's app), the command line
(``census --community CODE …``) and the code that adds a community: the community coded
``xq`` lives in ``<data folder>/communities/xq/`` and, on PostgreSQL, in the schema
``census_xq`` of the same database (libpq's ``search_path``; ``<schema>_xq`` when the
deployment's own tables are in a schema). Its data folder holds its
local files either way (secret key copy, print cache).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from census.store import schema_of, with_search_path

CODE = re.compile(r"[a-z0-9][a-z0-9_]{0,30}")  # a folder name and part of a schema name
FOLDER = "communities"


def valid_code(code: str) -> bool:
    """Lowercase letters, digits and _ (up to 31): safe as a folder, a schema and a URL."""
    return CODE.fullmatch(code) is not None


def schema_name(code: str, home: str | None = None) -> str:
    """The PostgreSQL schema of a community: ``census_<code>``, or ``<home>_<code>`` when the
    deployment itself keeps its tables in a schema ``home`` (several deployments, or test
    runs, on one database never share a community's tables)."""
    return f"{home or 'census'}_{code}"


# The settings that belong to one store: a community reads them from its own.
OWN_SETTINGS = ("COMMUNITY_NAME", "SECRET_KEY")


def community_config(config: Mapping[str, Any], code: str) -> dict[str, Any]:
    """The settings of the community ``code``: the deployment's, with a store of its own
    (and its own name and secret key, read from that store)."""
    if not valid_code(code):
        raise ValueError(f"not a community code: {code!r}")
    url = config.get("DATABASE_URL")
    own = {k: v for k, v in config.items() if k not in OWN_SETTINGS}
    return own | {
        "DATA_DIR": str(Path(config["DATA_DIR"]) / FOLDER / code),
        "DATABASE_URL": (
            with_search_path(str(url), schema_name(code, schema_of(str(url)))) if url else None
        ),
        "COMMUNITY": None,  # already chosen: the settings of a community choose no other
        "COMMUNITY_CODE": code,
    }

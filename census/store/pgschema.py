"""The schema a PostgreSQL URL keeps its tables in, made before the store opens.

A URL may name a schema with libpq's ``options=-c search_path=<schema>`` (each community of
a street keeps its tables in its own schema of one database). PostgreSQL creates tables in
the first schema of the search path that exists, and refuses when none does; so that
schema is created first, once, by whichever server or command makes the store (a brand-new
deployment, a community being added). Opening a store that exists checks that its schema
and tables are there rather than making them again, empty.
(psycopg is imported only to do so: reading a URL needs no driver.)
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from .errors import StoreMissing

DOCUMENTS = "census_documents"  # the table every store has (census/store/pgsql.py)
SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([A-Za-z_][A-Za-z0-9_]*)")
# The whole setting, whatever it names (a list of schemas too): what a URL's options lose
# when another search path takes its place.
SEARCH_PATH_SETTING = re.compile(r"-c\s*search_path\s*=\s*(\S+)")


def with_search_path(url: str, schema: str) -> str:
    """``url`` with its tables kept in ``schema`` (libpq's ``options`` parameter); the
    URL's other options (a ``statement_timeout``, logging) are kept."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    given = " ".join(v for k, v in query if k == "options")
    rest = SEARCH_PATH_SETTING.sub("", given).split()
    query = [(k, v) for k, v in query if k != "options"]
    query.append(("options", " ".join([*rest, f"-c search_path={schema}"])))
    encoded = urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
    return parts._replace(query=encoded).geturl()


def schema_of(url: str) -> str | None:
    """The first schema of the URL's search path, if it names one."""
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    found = SEARCH_PATH.search(query.get("options", ""))
    return found.group(1) if found else None


def ensure_schema(url: str, *, create: bool = True, timeout: int = 10) -> None:
    """Create the URL's schema if it names one that does not exist yet (racing servers: one
    creates it, the others find it).

    ``create=False``: the store must be there already, its schema and its documents table
    (``StoreMissing`` otherwise, in words): a community's schema dropped, or restored
    without its tables, is not made again empty by the next server or command to open it."""
    schema = schema_of(url)
    if create and (schema is None or schema == "public"):
        return
    import psycopg  # an extra: only a PostgreSQL URL gets here
    from psycopg import sql

    try:
        conn = psycopg.connect(url, connect_timeout=timeout, autocommit=True)
    except psycopg.OperationalError:
        return  # no server: the store says so when it tries, in its own words
    with conn:
        if not create or schema is None:
            _require_store(conn, schema or "public")
            return
        exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        if exists.fetchone() is None:
            try:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                )
            except psycopg.errors.UniqueViolation:  # another process, at the same moment
                pass


def _require_store(conn: Any, schema: str) -> None:
    """``StoreMissing`` unless ``schema`` exists and holds the store's documents table."""
    where = f"database {conn.info.dbname} on {conn.info.host}:{conn.info.port}"
    found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    if found.fetchone() is None:
        raise StoreMissing(
            f"PostgreSQL schema {schema} does not exist ({where}): its records are not there "
            "(restore it from a backup; it is not made again empty)"
        )
    table = conn.execute(
        "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s", (schema, DOCUMENTS)
    )
    if table.fetchone() is None:
        raise StoreMissing(
            f"PostgreSQL schema {schema} holds no {DOCUMENTS} table ({where}): its records are "
            "not there (restore it from a backup; it is not made again empty)"
        )


def require_first(url: str, *, timeout: int = 10) -> None:
    """``StoreMissing`` when the URL's schema is gone but its communities' schemas
    (``<schema>_<code>``, each with its documents table) are there: the first community of
    a street lost, not a brand-new deployment (making it again, empty, would lose the
    street's list of communities and its accounts). A URL without a schema is not checked."""
    schema = schema_of(url)
    if schema is None or schema == "public":
        return
    import psycopg

    try:
        conn = psycopg.connect(url, connect_timeout=timeout, autocommit=True)
    except psycopg.OperationalError:
        return  # no server: the store says so when it tries
    with conn:
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
            return
        pattern = schema.replace("_", r"\_") + r"\_%"
        found = conn.execute(
            "SELECT schemaname FROM pg_tables WHERE schemaname LIKE %s AND tablename = %s"
            " ORDER BY 1",
            (pattern, DOCUMENTS),
        ).fetchall()
        where = f"database {conn.info.dbname} on {conn.info.host}:{conn.info.port}"
    if found:
        others = ", ".join(row[0] for row in found)
        raise StoreMissing(
            f"PostgreSQL schema {schema} does not exist ({where}) but its communities' "
            f"schemas do ({others}): the first community's records are gone (restore it from "
            "a backup; it is not made again empty)"
        )

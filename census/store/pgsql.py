"""SQL for the PostgreSQL backend: the schema, equality criteria as WHERE clauses, indexes.

Documents live in one table, ``census_documents(collection, id, rev, doc jsonb)``;
``census_collections`` holds each collection's highest id ever given out and its number
of writes (``changes``, the stamp), both bumped in the writing transaction, and
``census_changes`` the ids each of the last ``JOURNAL_KEEP`` writes of a collection
touched, under its number, written in that same transaction (the change journal every
server reads to follow the others' writes, ``Store.changed_ids``). Lookups
must mean what they mean in the TinyDB backend, where a criterion holds when a
value found at the dotted path is ``==`` to the wanted one:

- ``status = "done"`` becomes ``doc -> 'status' = '"done"'``: jsonb equality keeps
  strings and numbers apart ("1" is not 1) and compares numbers by value (1 is 1.0);
- Python also has ``True == 1`` and ``False == 0``, so those values are asked for
  under both spellings;
- ``members.id_number = x`` becomes jsonb containment on ``doc -> 'members'``,
  once with each level a list of objects and once with it an object, which is
  exactly where ``paths.values_at`` looks;
- a wanted list or dict is checked in Python (``paths.matches``), not in SQL.

Path keys are written into the SQL as literals, never as parameters, so that the
planner can match them against the expression indexes ``ensure_index`` creates.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from . import codec
from .paths import Holding, split

DOCUMENTS = sql.Identifier("census_documents")

SCHEMA = """
CREATE TABLE IF NOT EXISTS census_collections (
    name text PRIMARY KEY,
    last_id bigint NOT NULL DEFAULT 0,
    changes bigint NOT NULL DEFAULT 0
);
DO $$ BEGIN  -- a database made before the stamp: add its counter (without locking otherwise)
    IF NOT EXISTS (
        SELECT 1 FROM pg_attribute
        WHERE attrelid = 'census_collections'::regclass AND attname = 'changes'
          AND NOT attisdropped
    ) THEN
        ALTER TABLE census_collections ADD COLUMN changes bigint NOT NULL DEFAULT 0;
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS census_counters (
    name text PRIMARY KEY,
    value bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS census_documents (
    collection text NOT NULL REFERENCES census_collections (name),
    id bigint NOT NULL CHECK (id > 0),
    rev integer NOT NULL CHECK (rev > 0),
    doc jsonb NOT NULL CHECK (jsonb_typeof(doc) = 'object'),
    PRIMARY KEY (collection, id)
);
-- The change journal: the ids write ``number`` of a collection touched. Made on open, so a
-- database of an older version gains it; the numbers written before have no row (a reader
-- that needs them reads everything again), nor have those of an older server still running.
CREATE TABLE IF NOT EXISTS census_changes (
    collection text NOT NULL,
    number bigint NOT NULL,
    ids bigint[] NOT NULL,
    PRIMARY KEY (collection, number)
);
CREATE TABLE IF NOT EXISTS census_media (
    folder text NOT NULL,
    name text NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (folder, name)
);
-- What every app server of the database shares besides the records (census.store.pgshared):
-- the secret that signs sessions, the staff surveys' definitions, background jobs and their
-- files (a finished print, an upload), in chunks of FILE_CHUNK bytes.
CREATE TABLE IF NOT EXISTS census_secrets (
    name text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS census_surveys (
    name text PRIMARY KEY,
    definition text NOT NULL,
    source_suffix text NOT NULL DEFAULT '',
    source bytea,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS census_jobs (
    id text PRIMARY KEY,
    kind text NOT NULL,
    owner text NOT NULL,
    state text NOT NULL,
    doc jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS census_files (
    folder text NOT NULL,
    name text NOT NULL,
    part integer NOT NULL CHECK (part >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (folder, name, part)
);
"""

# Store.next_number: the row lock taken here is held until the claiming transaction ends,
# so two servers claiming at once get consecutive numbers, never the same one.
NEXT_NUMBER = """
INSERT INTO census_counters AS c (name, value) VALUES (%s, %s)
ON CONFLICT (name) DO UPDATE SET value = GREATEST(c.value + 1, EXCLUDED.value)
RETURNING value
"""

REGISTER = "INSERT INTO census_collections (name) VALUES (%s) ON CONFLICT DO NOTHING"

# Documents travel as one JSON array (text), which the server splits: a text[] parameter
# would have the client escape every quote of every document.
#
# Every write bumps its collection's ``changes`` in its own transaction, so that the
# stamp is exactly as new as the documents committed with it; and it does so first,
# holding the collection's row (which the checked writes lock first too) before any
# document's, so that two writers never wait for each other in a circle.
#
# Each write also returns the collection's ``changes`` after its bump: the number of that
# write, under which it notes the ids it touched, in the journal (``census_changes``, in the
# same statement or transaction, so that the journal's row commits with the stamp it
# explains) and in the process's own log (``Store.changed_ids``).
#
# The journal keeps a collection's last JOURNAL_KEEP numbers: write n deletes the row of
# write n - JOURNAL_KEEP, one lookup by primary key. ON CONFLICT: a number given again after
# a rollback took its row with it, but a database whose counters were set back (by hand)
# may still hold one; the last write of that number is the one that counts.
JOURNAL_KEEP = 4096


def _journal(ids: str) -> str:
    """The statement's parts that note write ``counter.changes`` and its ``ids`` (SQL)."""
    return f"""noted AS (
    INSERT INTO census_changes (collection, number, ids)
    SELECT counter.name, counter.changes, {ids} FROM counter
    ON CONFLICT (collection, number) DO UPDATE SET ids = EXCLUDED.ids
), pruned AS (
    DELETE FROM census_changes AS j USING counter
    WHERE j.collection = counter.name AND j.number = counter.changes - %(keep)s
)"""


# An insert that checks nothing is one statement: bump the counter (which waits for
# the collection's lock) and insert with the ids it hands out. Its ids are contiguous.
INSERT_UNCHECKED = f"""
WITH counter AS (
    UPDATE census_collections SET last_id = last_id + %(n)s, changes = changes + 1
    WHERE name = %(name)s
    RETURNING name, last_id, changes
), inserted AS (
    INSERT INTO census_documents (collection, id, rev, doc)
    SELECT %(name)s, counter.last_id - %(n)s + t.n, 1, t.doc
    FROM counter, jsonb_array_elements(%(docs)s::jsonb) WITH ORDINALITY AS t (doc, n)
    RETURNING id
), {_journal("ARRAY(SELECT generate_series(counter.last_id - %(n)s + 1, counter.last_id))")}
SELECT inserted.id, counter.changes FROM inserted, counter
"""
# The checked insert's steps, in one transaction.
TAKE_IDS = f"""
WITH counter AS (
    UPDATE census_collections SET last_id = last_id + %(n)s, changes = changes + 1
    WHERE name = %(name)s
    RETURNING name, last_id, changes
), {_journal("ARRAY(SELECT generate_series(counter.last_id - %(n)s + 1, counter.last_id))")}
SELECT last_id, changes FROM counter
"""
INSERT_WITH_IDS = """
INSERT INTO census_documents (collection, id, rev, doc)
SELECT %(name)s, %(first)s + t.n - 1, 1, t.doc
FROM jsonb_array_elements(%(docs)s::jsonb) WITH ORDINALITY AS t (doc, n)
"""
LOCK_COLLECTION = "SELECT 1 FROM census_collections WHERE name = %s FOR NO KEY UPDATE"
# A restore (Collection.restore_many): documents keep their ids and revisions, and the
# collection's last_id rises to cover them (and the ids the backup had given out).
RESTORE_TAKEN = """
SELECT min(id) FROM census_documents WHERE collection = %s AND id = ANY(%s::bigint[])
"""
RESTORE = f"""
WITH counter AS (
    UPDATE census_collections SET last_id = GREATEST(last_id, %(last)s), changes = changes + 1
    WHERE name = %(name)s
    RETURNING name, changes
), restored AS (
    INSERT INTO census_documents (collection, id, rev, doc)
    SELECT counter.name, (t.d ->> 'id')::bigint, (t.d ->> 'rev')::integer, t.d -> 'doc'
    FROM counter, jsonb_array_elements(%(docs)s::jsonb) AS t (d)
), {_journal("%(ids)s::bigint[]")}
SELECT changes FROM counter
"""
RESTORE_LAST_ID = f"""
WITH counter AS (
    UPDATE census_collections SET last_id = GREATEST(last_id, %(last)s), changes = changes + 1
    WHERE name = %(name)s
    RETURNING name, changes
), {_journal("ARRAY[]::bigint[]")}
SELECT changes FROM counter
"""
RESTORE_CHUNK = 1000  # documents per statement
LOCK_DOCUMENT = "SELECT rev FROM census_documents WHERE collection = %s AND id = %s FOR UPDATE"

# Update and delete change nothing (a NULL revision) when the id or revision is wrong;
# they bump the counter all the same (a stamp may change without a write), and say so with
# its number (noting the id they tried). Joining the counter's row makes the bump happen
# before the document's row is locked.
UPDATE = f"""
WITH counter AS (
    UPDATE census_collections SET changes = changes + 1 WHERE name = %(name)s
    RETURNING name, changes
), changed AS (
    UPDATE census_documents AS d SET doc = %(doc)s::jsonb, rev = d.rev + 1
    FROM counter
    WHERE d.collection = counter.name AND d.id = %(id)s
      AND d.rev = coalesce(%(rev)s::bigint, d.rev)
    RETURNING d.rev
), {_journal("ARRAY[%(id)s::bigint]")}
SELECT changed.rev, counter.changes FROM counter LEFT JOIN changed ON true
"""
DELETE = f"""
WITH counter AS (
    UPDATE census_collections SET changes = changes + 1 WHERE name = %(name)s
    RETURNING name, changes
), deleted AS (
    DELETE FROM census_documents AS d
    USING counter
    WHERE d.collection = counter.name AND d.id = %(id)s
      AND d.rev = coalesce(%(rev)s::bigint, d.rev)
    RETURNING d.rev
), {_journal("ARRAY[%(id)s::bigint]")}
SELECT deleted.rev, counter.changes FROM counter LEFT JOIN deleted ON true
"""
# On open: the rows a write's own prune missed (written while servers kept different numbers
# of writes, or by a version whose writes prune nothing), one pass over a small table.
PRUNE_JOURNAL = """
DELETE FROM census_changes AS j USING census_collections AS c
WHERE j.collection = c.name AND j.number <= c.changes - %s
"""
# The journal's rows of these (collection, number) pairs: the writes a server did not make.
JOURNAL = """
SELECT j.collection, j.number, j.ids
FROM unnest(%s::text[], %s::bigint[]) AS w (name, number)
JOIN census_changes AS j ON j.collection = w.name AND j.number = w.number
"""
# The stamp: every collection's number of writes, or their sum for the whole store.
CHANGES = "SELECT name, changes FROM census_collections WHERE name = ANY(%s)"
ALL_CHANGES = "SELECT coalesce(sum(changes), 0) FROM census_collections"
ANALYZE = "ANALYZE census_documents"
ANALYZE_AFTER = 1000  # documents stored by one insert_many
# Fresh planner statistics once this process's writes reach ANALYZE_BASE documents plus
# ANALYZE_SHARE of the table's size at its last ANALYZE (by whichever process, read from
# pg_class): until then the planner believes the table is as small as it was (empty, on a
# new database) and looks every member up by scanning the whole collection, so a
# household's save grew with the community (autovacuum may be off, and is a minute late
# even when on). Measured against the table, not against this process's own ANALYZEs: a
# server opening a street of large communities used to analyse every one of them after
# its first 200 writes there, all at about the same time, every server alike (at 50 saves
# a second over two servers and twelve communities of 12,500 households, 24 ANALYZEs of
# 0.3 s together held every save up for 1.5 s).
ANALYZE_BASE = 200
ANALYZE_SHARE = 0.2
TABLE_ROWS = "SELECT reltuples FROM pg_class WHERE oid = 'census_documents'::regclass"

READ_REV = "SELECT rev FROM census_documents WHERE collection = %s AND id = %s"

# Schema changes (tables, indexes) take this transaction-level advisory lock first:
# CREATE ... IF NOT EXISTS run by two processes at once can otherwise fail.
DDL_LOCK = "SELECT pg_advisory_xact_lock(hashtext('census ddl ' || coalesce(current_schema(), '')))"

BIGINT_MAX = 2**63 - 1


@dataclass
class Where:
    """Criteria turned into SQL conditions, and the rest that Python must check."""

    conditions: list[sql.Composable] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    in_python: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)
    impossible: bool = False  # some criterion no stored document can meet

    def clause(self) -> sql.Composable:
        """The conditions joined with AND (``TRUE`` when there are none)."""
        if not self.conditions:
            return sql.SQL("TRUE")
        return sql.SQL(" AND ").join(self.conditions)


def where(equals: Mapping[str, object]) -> Where:
    """Translate ``find(**equals)`` criteria; see the module docstring."""
    out = Where()
    for path, wanted in equals.items():
        if path == "id":
            # The id is not a document field: only an int names one (as in TinyDB).
            if type(wanted) is not int or not 0 < wanted <= BIGINT_MAX:
                out.impossible = True
                continue
            out.conditions.append(sql.SQL("id = %s"))
            out.params.append(wanted)
        elif path == "_rev":
            rev = _whole_number(wanted)
            if rev is None:
                out.impossible = True
                continue
            out.conditions.append(sql.SQL("rev = %s"))
            out.params.append(rev)
        elif isinstance(wanted, Holding):
            tests = list(_holding_tests(split(path), wanted)) if "\x00" not in path else []
            if not tests:
                out.impossible = True
                continue
            out.conditions.append(sql.SQL("({})").format(sql.SQL(" OR ").join(t for t, _ in tests)))
            out.params.extend(p for _, p in tests)
        elif isinstance(wanted, list | dict):
            out.in_python.append((split(path), wanted))
        else:
            spellings = _spellings(wanted)
            if not spellings or "\x00" in path:
                out.impossible = True
                continue
            tests = list(_tests(split(path), spellings))
            out.conditions.append(sql.SQL("({})").format(sql.SQL(" OR ").join(t for t, _ in tests)))
            out.params.extend(p for _, p in tests)
    return out


def any_of(wheres: Sequence[Where]) -> Where:
    """Several ``where`` translations as one: a document meeting any of them (none: nothing).

    Each must be wholly SQL (no ``in_python`` part); one no document can meet drops out."""
    out = Where()
    possible = [w for w in wheres if not w.impossible]
    if not possible:
        out.impossible = True
        return out
    if any(w.in_python for w in possible):
        raise ValueError("any_of takes criteria SQL answers alone")
    out.conditions.append(
        sql.SQL("({})").format(
            sql.SQL(" OR ").join(sql.SQL("({})").format(w.clause()) for w in possible)
        )
    )
    for w in possible:
        out.params.extend(w.params)
    return out


def _tests(keys: tuple[str, ...], spellings: list[str]) -> Iterator[tuple[sql.Composable, str]]:
    """Yield (condition, jsonb parameter) pairs, any of which means a match."""
    head = sql.SQL("(doc -> {})").format(sql.Literal(keys[0]))
    if len(keys) == 1:
        for spelling in spellings:
            yield sql.SQL("{} = %s::jsonb").format(head), spelling
        return
    for pattern in _below(keys[1:], spellings):
        yield sql.SQL("{} @> %s::jsonb").format(head), pattern


def _below(keys: tuple[str, ...], leaves: list[str]) -> Iterator[str]:
    """Each ``leaf`` (JSON text) wrapped in the keys below the first: at each level an
    object, or a list of objects (every combination), for ``@>`` on the first key."""
    for shape in itertools.product((False, True), repeat=len(keys)):
        for leaf in leaves:
            pattern = leaf
            for key, is_list in zip(reversed(keys), reversed(shape), strict=True):
                pattern = "{" + codec.dumps(key).decode() + ":" + pattern + "}"
                if is_list:
                    pattern = "[" + pattern + "]"
            yield pattern


def _holding_tests(keys: tuple[str, ...], wanted: Holding) -> Iterator[tuple[sql.Composable, str]]:
    """Yield (condition, jsonb parameter) pairs for a ``Holding`` at ``keys``: the value there
    contains one object with every field (``@>``, served by the GIN index of the first key),
    whether it is that object or a list holding it; none when a field can equal nothing."""
    per_field = []
    for key, value in wanted.fields.items():
        spellings = _spellings(value)
        if not spellings or "\x00" in key:
            return
        per_field.append([codec.dumps(key).decode() + ":" + spelling for spelling in spellings])
    head = sql.SQL("(doc -> {})").format(sql.Literal(keys[0]))
    for combination in itertools.product(*per_field):
        element = "{" + ",".join(combination) + "}"
        for pattern in _below(keys[1:], [element, "[" + element + "]"]):
            yield sql.SQL("{} @> %s::jsonb").format(head), pattern


def _spellings(value: object) -> list[str]:
    """The JSON texts of every stored scalar that is ``==`` to ``value`` (none if nothing is)."""
    if isinstance(value, str) and "\x00" in value:
        return []  # PostgreSQL cannot store it, so no document holds it
    if isinstance(value, float) and not math.isfinite(value):
        return []  # NaN and infinities are stored as null, which they do not equal
    try:
        texts = [codec.dumps(value).decode()]
    except TypeError:  # not JSON (a date, a set, a huge int): nothing stored equals it
        return []
    if isinstance(value, bool | int | float) and value in (0, 1):
        texts.append("true" if value else "false")
        texts.append("1" if value else "0")
    return list(dict.fromkeys(texts))


def expected_rev(value: object) -> int | None:
    """``expected_rev`` for UPDATE and DELETE: -1, which no row has, if no revision is ``==``."""
    if value is None:
        return None
    rev = _whole_number(value)
    return -1 if rev is None else rev


def _whole_number(value: object) -> int | None:
    """The revision ``value`` is ``==`` to, or None."""
    if isinstance(value, bool | int):
        return int(value) if 0 < value <= BIGINT_MAX else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return _whole_number(int(value))
    return None


def index_ddl(path: str) -> tuple[str, sql.Composed] | None:
    """Return (index name, CREATE INDEX statement) serving lookups on ``path``, if any.

    A top-level field gets a hash index on its jsonb value (equality only, and no
    size limit, unlike a btree); a dotted path gets a GIN index (``jsonb_path_ops``,
    for ``@>``) on its first key, shared by every path below that key.
    """
    keys = split(path)
    if path in ("id", "_rev") or "\x00" in path:
        return None
    head = sql.SQL("(doc -> {})").format(sql.Literal(keys[0]))
    if len(keys) == 1:
        name = _index_name("eq", keys[0])
        return name, sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING hash ({})").format(
            sql.Identifier(name), DOCUMENTS, head
        )
    name = _index_name("in", keys[0])
    # fastupdate off: no pending list of new entries that every lookup reads through and
    # that the planner counts against the index (only VACUUM empties it, and autovacuum
    # may be off): with it, a member lookup scanned the whole collection instead.
    return name, sql.SQL(
        "CREATE INDEX IF NOT EXISTS {} ON {} USING gin ({} jsonb_path_ops) WITH (fastupdate = off)"
    ).format(sql.Identifier(name), DOCUMENTS, head)


def is_gin(name: str) -> bool:
    """Whether ``name`` (from ``index_ddl``) is a GIN index of a dotted path."""
    return name.startswith("census_in_")


def without_pending_list(conn: psycopg.Connection[TupleRow], name: str) -> None:
    """Turn a GIN index's pending list off and empty it (indexes made before fastupdate=off)."""
    row = conn.execute(
        "SELECT coalesce('fastupdate=off' = ANY(reloptions), false) FROM pg_class"
        " WHERE oid = to_regclass(%s)",
        (name,),
    ).fetchone()
    if row is None or row[0]:
        return
    conn.execute(sql.SQL("ALTER INDEX {} SET (fastupdate = off)").format(sql.Identifier(name)))
    conn.execute("SELECT gin_clean_pending_list(to_regclass(%s))", (name,))


def _index_name(kind: str, key: str) -> str:
    """A readable index name, unique per key, within PostgreSQL's 63 bytes."""
    readable = re.sub(r"[^a-z0-9_]+", "_", key.lower())[:32].strip("_")
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"census_{kind}_{readable}_{digest}" if readable else f"census_{kind}_{digest}"

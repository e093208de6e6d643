"""What the app servers of one PostgreSQL database share besides the records.

With TinyDB one process owns the data folder, and the secret key, the staff surveys'
definitions, the print jobs and their PDFs live in it as files. Behind a load balancer
several servers (and ``census worker`` processes) share one database instead, so each of
those lives in a table of its own (``pgsql.SCHEMA``) and every server sees the same:

- ``census_secrets``: the key that signs session cookies, made once by whichever server
  starts first (``INSERT … ON CONFLICT DO NOTHING``, then read back: two servers starting
  at once still agree);
- ``census_surveys``: each staff survey's definition (YAML text) and the file it was
  uploaded as; ``surveys_stamp`` changes with every add, replace or removal, so a server
  reloads them at its next request;
- ``census_jobs``: background jobs (prints), their state and progress as one jsonb
  document, written by whichever process runs the job;
- ``census_files``: files made or received by one process and fetched by another (a
  finished print), in chunks of ``FILE_CHUNK`` bytes. ``finish_job`` stores a job's file
  and its ``done`` state in one transaction: a job is never done with half a file;
- uploads of the import wizard: the file in ``census_files`` (folder ``imports``) with
  the plan of its last check (``<id>.plan``, gzipped JSON: ``census.sheets.checked``), the
  wizard's state (form, name, who, the mapping) as a ``census_jobs`` row of kind
  ``upload``, whose state is ``kept``, or ``applying`` while one server imports it
  (``claim_job``: one server at a time); the saved import mappings are a collection of
  the store (``import_profiles``), so a backup holds them with the records.

``read_backup_files`` and ``restore_backup_files`` give ``census backup`` and ``census
restore`` the secret key and the staff surveys as the data folder lays them out
(``secret_key``, ``surveys/<name>.yaml``, ``surveys/<name>.source<suffix>``), from and
into these tables: on PostgreSQL they are the truth, a data folder holds only a copy.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from .pgqueue import TaskQueue
    from .pgstore import PgStore

FILE_CHUNK = 1024 * 1024
FINISHED = ("done", "failed")
PROFILES = "import_profiles"  # the collection of saved import mappings
SECRET_FILE = "secret_key"  # the secret's file in a data folder (and a backup)
SURVEYS_FOLDER = "surveys"
_SURVEY_FILE = re.compile(r"surveys/([^./]+)\.yaml")
_SURVEY_SOURCE = re.compile(r"surveys/([^./]+)\.source(\.[A-Za-z0-9]+)")

# An empty value kept (what a key file read half written once offered) is replaced.
SECRET_PUT = """
INSERT INTO census_secrets AS s (name, value) VALUES (%s, %s)
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value WHERE s.value = ''
"""
SECRET_GET = "SELECT value FROM census_secrets WHERE name = %s"
SURVEY_PUT = """
INSERT INTO census_surveys (name, definition, source_suffix, source) VALUES (%s, %s, %s, %s)
ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition,
    source_suffix = EXCLUDED.source_suffix, source = EXCLUDED.source,
    changed_at = clock_timestamp()
"""
# Every survey's name and time of change in one short text: equal texts, equal surveys.
SURVEYS_STAMP = """
SELECT coalesce(string_agg(name || '@' || changed_at::text, ',' ORDER BY name), '')
FROM census_surveys
"""
# A job's state is written while it is not finished; a finished job changes no more (a
# worker thought dead that wakes up cannot take a done print back).
JOB_PUT = """
INSERT INTO census_jobs AS j (id, kind, owner, state, doc) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, doc = EXCLUDED.doc, updated_at = now()
WHERE j.state NOT IN ('done', 'failed')
RETURNING id
"""


@dataclass(frozen=True)
class SharedSurvey:
    """A staff survey as kept in the database."""

    name: str
    definition: str  # the YAML text, as the data folder's <name>.yaml holds it
    source_suffix: str  # of the file it was uploaded as (.xlsx, .yaml …), '' if none
    source: bytes | None


class PgShared:
    """The secret, surveys, jobs and files every server of the database shares."""

    def __init__(self, store: PgStore) -> None:
        self.store = store

    def queue(self) -> TaskQueue:
        """The task queue of this database (and schema): prints that any worker runs."""
        from .pgqueue import TaskQueue

        return TaskQueue(self.store.url, self.store)

    # -- the secret key --------------------------------------------------------------

    def secret(self, name: str, candidate: str) -> str:
        """The secret called ``name``: ``candidate`` if none was kept yet, else the kept one."""
        if not candidate:
            raise ValueError(f"an empty secret offered for {name!r}")
        with self.store.connection() as conn:
            conn.execute(SECRET_PUT, (name, candidate))
            row = conn.execute(SECRET_GET, (name,)).fetchone()
        assert row is not None  # inserted above or by another server before
        return str(row[0])

    # -- staff surveys ---------------------------------------------------------------

    def surveys(self) -> list[SharedSurvey]:
        """Every staff survey, by name."""
        with self.store.connection() as conn:
            rows = conn.execute(
                "SELECT name, definition, source_suffix, source FROM census_surveys ORDER BY name"
            ).fetchall()
        return [SharedSurvey(n, d, s, bytes(b) if b is not None else None) for n, d, s, b in rows]

    def surveys_stamp(self) -> str:
        """A short text that changes whenever a survey is added, replaced or removed."""
        with self.store.connection() as conn:
            row = conn.execute(SURVEYS_STAMP).fetchone()
        return str(row[0]) if row else ""

    def put_survey(
        self, name: str, definition: str, source_suffix: str, source: bytes | None
    ) -> None:
        """Keep (or replace) a survey's definition and the file it was uploaded as."""
        with self.store.connection() as conn:
            conn.execute(SURVEY_PUT, (name, definition, source_suffix, source))

    def remove_survey(self, name: str) -> None:
        """Take a survey's definition out (its records stay in their collection)."""
        with self.store.connection() as conn:
            conn.execute("DELETE FROM census_surveys WHERE name = %s", (name,))

    # -- background jobs -------------------------------------------------------------

    def save_job(self, job_id: str, kind: str, owner: str, state: str, doc: dict[str, Any]) -> bool:
        """Keep a job's state; False (nothing written) once it has finished."""
        with self.store.connection() as conn:
            row = conn.execute(JOB_PUT, (job_id, kind, owner, state, Jsonb(doc))).fetchone()
        return row is not None

    def job(self, job_id: str) -> dict[str, Any] | None:
        """A job's document, or None."""
        with self.store.connection() as conn:
            row = conn.execute("SELECT doc FROM census_jobs WHERE id = %s", (job_id,)).fetchone()
        return dict(row[0]) if row else None

    def jobs(self, kind: str, owner: str | None = None) -> list[dict[str, Any]]:
        """The documents of a kind of job (one owner's when given), newest first."""
        with self.store.connection() as conn:
            rows = conn.execute(
                "SELECT doc FROM census_jobs WHERE kind = %s AND (%s::text IS NULL OR owner = %s)"
                " ORDER BY created_at DESC, id",
                (kind, owner, owner),
            ).fetchall()
        return [dict(row[0]) for row in rows]

    def finish_job(
        self,
        job_id: str,
        kind: str,
        owner: str,
        state: str,
        doc: dict[str, Any],
        file: tuple[str, str, Path] | None = None,
    ) -> bool:
        """Store the job's file (folder, name, local path) and its final state together.

        One transaction: another server sees the job done with all of its file, or still
        running with none. False when the job had already finished (nothing changed).
        """
        try:
            with self.store.connection() as conn, conn.transaction():
                if file is not None:
                    self._put_file(conn, *file)
                row = conn.execute(JOB_PUT, (job_id, kind, owner, state, Jsonb(doc))).fetchone()
                if row is None:
                    raise _AlreadyFinished  # leaves the transaction: the file goes with it
        except _AlreadyFinished:
            return False
        return True

    @staticmethod
    def _put_file(conn: Any, folder: str, name: str, path: Path) -> None:
        conn.execute("DELETE FROM census_files WHERE folder = %s AND name = %s", (folder, name))
        with open(path, "rb") as source:
            part = 0
            while chunk := source.read(FILE_CHUNK):
                conn.execute(
                    "INSERT INTO census_files (folder, name, part, data) VALUES (%s, %s, %s, %s)",
                    (folder, name, part, chunk),
                )
                part += 1

    def forget_jobs(self, kind: str, days: int, folder: str) -> None:
        """Remove jobs of a kind older than ``days``, and their files in ``folder``."""
        with self.store.connection() as conn, conn.transaction():
            old = conn.execute(
                "DELETE FROM census_jobs WHERE kind = %s AND created_at < now() - %s * interval"
                " '1 day' RETURNING id",
                (kind, days),
            ).fetchall()
            if old:
                conn.execute(
                    "DELETE FROM census_files WHERE folder = %s AND split_part(name, '.', 1)"
                    " = ANY(%s)",
                    (folder, [row[0] for row in old]),
                )

    # -- files -----------------------------------------------------------------------

    def fetch_file(self, folder: str, name: str, target: Path) -> bool:
        """Copy a kept file to ``target`` (written aside, then renamed); False if none."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        found = False
        try:
            with os.fdopen(fd, "wb") as out, self.store.connection() as conn:
                cursor = conn.execute(
                    "SELECT data FROM census_files WHERE folder = %s AND name = %s ORDER BY part",
                    (folder, name),
                )
                for (chunk,) in cursor:
                    out.write(chunk)
                    found = True
            if found:
                os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return found

    def file_bytes(self, folder: str, name: str) -> bytes | None:
        """A kept file's bytes (a small one: a checked import plan), or None if none."""
        with self.store.connection() as conn:
            rows = conn.execute(
                "SELECT data FROM census_files WHERE folder = %s AND name = %s ORDER BY part",
                (folder, name),
            ).fetchall()
        return b"".join(bytes(row[0]) for row in rows) if rows else None

    def put_file(self, folder: str, name: str, path: Path) -> None:
        """Keep a local file for every server (replacing one of the same name), in one go."""
        with self.store.connection() as conn, conn.transaction():
            self._put_file(conn, folder, name, path)

    def remove_files(self, folder: str, name: str) -> None:
        """Take a kept file out."""
        with self.store.connection() as conn:
            conn.execute("DELETE FROM census_files WHERE folder = %s AND name = %s", (folder, name))

    # -- a job or upload held by one server at a time -----------------------------------

    def claim_job(
        self, job_id: str, kind: str, before: str, after: str, doc: dict[str, Any]
    ) -> bool:
        """Move a row from state ``before`` to ``after`` with ``doc``; False if it was not in
        ``before`` (another server holds it, or it is gone). One statement: two servers
        claiming at once, one wins."""
        with self.store.connection() as conn:
            row = conn.execute(
                "UPDATE census_jobs SET state = %s, doc = %s, updated_at = now()"
                " WHERE id = %s AND kind = %s AND state = %s RETURNING id",
                (after, Jsonb(doc), job_id, kind, before),
            ).fetchone()
        return row is not None

    def touch_job(self, job_id: str) -> None:
        """Say the job's process is alive (its ``updated_at``)."""
        with self.store.connection() as conn:
            conn.execute("UPDATE census_jobs SET updated_at = now() WHERE id = %s", (job_id,))

    def job_age(self, job_id: str) -> float | None:
        """Seconds since the job's row was last written or touched; None if there is none."""
        with self.store.connection() as conn:
            row = conn.execute(
                "SELECT extract(epoch FROM now() - updated_at) FROM census_jobs WHERE id = %s",
                (job_id,),
            ).fetchone()
        return float(row[0]) if row else None

    def remove_job(self, job_id: str, kind: str, folder: str, names: list[str]) -> None:
        """Take a row out with its files (an upload imported or discarded), together."""
        with self.store.connection() as conn, conn.transaction():
            conn.execute("DELETE FROM census_jobs WHERE id = %s AND kind = %s", (job_id, kind))
            conn.execute(
                "DELETE FROM census_files WHERE folder = %s AND name = ANY(%s)", (folder, names)
            )

    # -- saved import mappings ------------------------------------------------------------

    def profiles(self) -> dict[str, dict[str, Any]]:
        """The saved import mappings by name."""
        docs = self.store.collection(PROFILES).scan()
        return {
            str(d["name"]): dict(d["profile"]) for d in docs if isinstance(d.get("profile"), dict)
        }

    def put_profile(self, name: str, profile: dict[str, Any]) -> None:
        """Keep a mapping under a name, replacing one of that name (one transaction)."""
        profiles = self.store.collection(PROFILES)
        with self.store.atomic():
            with self.store.connection() as conn:  # two servers saving one name: one row
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('census import profiles'))")
            found = profiles.find(name=name)
            for old in found[1:]:
                profiles.delete(old["id"])
            if found:
                profiles.update(found[0]["id"], {"name": name, "profile": profile})
            else:
                profiles.insert({"name": name, "profile": profile})


def read_backup_files(url: str) -> list[tuple[str, bytes]] | None:
    """The secret key and staff surveys of the database at ``url``, as data-folder files
    (path, bytes); None when it has no such tables (a store made before them)."""
    with psycopg.connect(url, connect_timeout=10) as conn:
        conn.read_only = True
        with conn.transaction():
            row = conn.execute(
                "SELECT to_regclass('census_secrets') IS NOT NULL"
                " AND to_regclass('census_surveys') IS NOT NULL"
            ).fetchone()
            if not row or not row[0]:
                return None
            secret = conn.execute(SECRET_GET, (SECRET_FILE,)).fetchone()
            surveys = conn.execute(
                "SELECT name, definition, source_suffix, source FROM census_surveys ORDER BY name"
            ).fetchall()
    found = [(SECRET_FILE, str(secret[0]).encode())] if secret else []
    for name, definition, suffix, source in surveys:
        found.append((f"{SURVEYS_FOLDER}/{name}.yaml", str(definition).encode("utf-8")))
        if source is not None:
            found.append((f"{SURVEYS_FOLDER}/{name}.source{suffix}", bytes(source)))
    return found


def is_backup_file(path: str) -> bool:
    """True for the files ``restore_backup_files`` puts into the tables."""
    return path == SECRET_FILE or path.startswith(f"{SURVEYS_FOLDER}/")


def restore_backup_files(shared: PgShared, files: dict[str, bytes]) -> list[str]:
    """Put a backup's secret key and staff surveys into the tables (inside the restore's
    transaction); the key replaces any a server made meanwhile. The surveys' names."""
    if SECRET_FILE in files:
        with shared.store.connection() as conn:
            conn.execute(
                "INSERT INTO census_secrets (name, value) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                (SECRET_FILE, files[SECRET_FILE].decode().strip()),
            )
    sources = {
        m.group(1): (m.group(2), data)
        for path, data in files.items()
        if (m := _SURVEY_SOURCE.fullmatch(path))
    }
    names = []
    for path, data in sorted(files.items()):
        match = _SURVEY_FILE.fullmatch(path)
        if match is None:
            continue  # an old or removed definition a data folder kept aside
        name = match.group(1)
        suffix, source = sources.get(name, ("", None))
        shared.put_survey(name, data.decode("utf-8"), suffix, source)
        names.append(name)
    if names:  # a server's own data folder must not move its surveys in on top
        shared.secret("surveys_moved_in", "restored")
    return names


class _AlreadyFinished(Exception):
    """Raised inside ``finish_job`` to roll its transaction back."""

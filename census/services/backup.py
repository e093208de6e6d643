"""``census backup FILE`` and ``census restore FILE``: everything a deployment keeps, in one file.

What a backup holds
-------------------
- every collection of the store (records, versions, the audit log, users, tokens, settings,
  conflicts, visits, work records, staff surveys' records …), each document with its id
  and ``_rev``; each collection's highest id given out (``last_id``); and the numbers
  ``Store.next_number`` hands out (household numbers);
- the local files of the data folder that are not in the store: ``secret_key``, the staff
  surveys' definitions (``surveys/``) and the import wizard's uploads (``imports/``); the
  print cache (``print-cache/``) only with ``--with-print-cache``. With PostgreSQL the
  secret key and the surveys are read from ``census_secrets`` and ``census_surveys``
  (where every server reads them; a data folder holds a copy, old or missing on the
  machine the backup runs on) under the same names, a restore puts them back there, and
  the uploads waiting in ``census_files`` are left out (kept a day). Finished print jobs
  (``print-jobs/``) are left out: they are results kept for a week, and name their files
  by absolute path;
- the photos of records (``Store.media``) as ``files/media/<survey>/<name>`` whatever the
  backend: TinyDB keeps them in the data folder's ``media/``, PostgreSQL in
  ``census_media`` (read in the snapshot of the documents, and put back into the
  database by a restore into one, or into ``media/`` by a restore into a data folder).

The file is a gzipped tar: ``manifest.json`` (format, version, created_at, backend,
counts, last ids, numbers, the content hash, the community of the street it is of (code
and name, code "" for the first), each local file's size and SHA-256), then
``collections/<name>.jsonl`` (one document a line, by id), ``numbers.json`` and
``files/<path>``.

The content hash
----------------
A SHA-256 over a canonical text of the store's content: for each collection that holds
documents, by name, each document by id as the JSON array ``[collection, id, _rev,
fields]`` with sorted keys, one a line; then each number as ``[name, value]``. The same
content gives the same hash on TinyDB and on PostgreSQL (ids handed out and then
deleted, which only PostgreSQL remembers, are not part of it). Both commands print it;
``restore`` checks the file against its manifest before changing anything, and prints the
hash again after reading the restored store back.

Reading a store that is in use
------------------------------
TinyDB: one process owns the folder (``census.lock``), so a backup never opens the store.
It reads the files the server writes: ``census.json`` and the complete lines of the
append-only ``census.journal`` (every line is one whole group of writes; a torn last line
is left out, as on the server's next start). A compaction replaces ``census.json`` by a
rename and only then empties the journal; the backup holds the snapshot it opened and
checks afterwards that ``census.json`` is still that file, else reads again. What it gets
is the store as it was after some acknowledged write: every household acknowledged
before the backup started is in it.

PostgreSQL: one REPEATABLE READ, READ ONLY transaction reads every row of
``census_collections``, ``census_counters``, ``census_documents`` and ``census_media``: one
snapshot of the database, however many servers write to it, so a record and its photos
are there together.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import stat
import tarfile
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import orjson

from census.store import StoreError, database_url, open_store
from census.store.base import COUNTERS, Doc
from census.store.journal import apply_entry, read_journal
from census.store.lock import FolderLock
from census.store.tinystorage import JOURNAL_NAME, SNAPSHOT_NAME

if TYPE_CHECKING:
    from census.store.pgstore import PgStore
from census.util.gcpause import paused_gc
from census.util.outputs import write_output

FORMAT = "census-backup"
VERSION = 1
MANIFEST = "manifest.json"
NUMBERS = "numbers.json"
COLLECTIONS = "collections"
FILES = "files"
HASH_HEADER = b"census content v1\n"

# Local files of the data folder that belong to the deployment (paths relative to it).
LOCAL_FILES = ("secret_key",)
MEDIA = "media"  # the photos of records: a folder with TinyDB, census_media with PostgreSQL
LOCAL_FOLDERS = ("surveys", "imports", MEDIA)
PRINT_CACHE = "print-cache"
SECRET_FILES = ("secret_key",)  # restored readable by the owner only
READ_ATTEMPTS = 100  # TinyDB: reads retried when a compaction replaced census.json meanwhile


F = TypeVar("F", bound=Callable[..., Any])


def _bulk(function: F) -> F:
    """Run with the cycle collector paused: a store's worth of small objects, no cycles."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with paused_gc():
            return function(*args, **kwargs)

    return cast(F, run)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (nothing was changed)."""


@dataclass
class Contents:
    """A store's content: documents by collection, ids given out, numbers handed out."""

    backend: str
    collections: dict[str, list[Doc]] = field(default_factory=dict)  # non-empty, docs by id
    last_ids: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what a reader should be told
    media: list[tuple[str, str, bytes]] = field(default_factory=list)  # PostgreSQL's files
    present: bool = True  # False: no store there at all (no census.json, no census tables)

    def counts(self) -> dict[str, int]:
        """The number of documents per collection, by name."""
        return {name: len(docs) for name, docs in sorted(self.collections.items())}

    def is_empty(self) -> bool:
        """True when the store holds no document and no number."""
        return not self.collections and not self.numbers

    def content_hash(self) -> str:
        """The SHA-256 of the canonical content (see the module docstring), in hex."""
        digest = hashlib.sha256(HASH_HEADER)
        for line in canonical_lines(self):
            digest.update(line)
        return digest.hexdigest()


def canonical_lines(contents: Contents) -> Iterator[bytes]:
    """The canonical text the content hash is taken over, line by line."""
    for name in sorted(contents.collections):
        for doc in contents.collections[name]:
            body = {k: v for k, v in doc.items() if k not in ("id", "_rev")}
            yield _canonical([name, doc["id"], doc.get("_rev", 0), body])
    for name in sorted(contents.numbers):
        yield _canonical([name, contents.numbers[name]])


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS) + b"\n"


@dataclass
class Result:
    """What a backup or restore did, for the command to print."""

    path: Path
    backend: str
    content_hash: str
    counts: dict[str, int]
    numbers: dict[str, int]
    files: list[str]
    size: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    expected_hash: str = ""  # restore: the hash the backup's manifest records
    origin: str = ""  # restore: when and from where the backup was made
    target: str = ""  # restore: where it was restored
    community: dict[str, str] | None = None  # the community the backup is of, if recorded
    into_other: str = ""  # restore: said when a backup went into another community, on purpose

    @property
    def documents(self) -> int:
        return sum(self.counts.values())


# -- reading a store ------------------------------------------------------------------------


def read_store(target: str | os.PathLike[str]) -> Contents:
    """Read a TinyDB data folder or a PostgreSQL URL consistently, without opening the store."""
    url = database_url(target)
    return read_database(url) if url is not None else read_folder(Path(target))


@_bulk
def read_folder(folder: Path) -> Contents:
    """A TinyDB folder's content, read from its files even while a server owns the folder."""
    snapshot, journal = folder / SNAPSHOT_NAME, folder / JOURNAL_NAME
    for _attempt in range(READ_ATTEMPTS):
        try:
            fd: int | None = os.open(snapshot, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            fd = None
        try:
            before = _identity(os.fstat(fd)) if fd is not None else None
            raw = _read_fd(fd) if fd is not None else b""
            found = read_journal(journal)
            try:
                after: tuple[int, int] | None = _identity(os.stat(snapshot))
            except FileNotFoundError:
                after = None
        finally:
            if fd is not None:
                os.close(fd)
        # The file opened is still census.json: no compaction emptied the journal since.
        if after == before:
            break
    else:
        raise BackupError(f"{folder}: census.json kept being replaced; try again")
    tables = _tables(raw, snapshot)
    for entry in found.entries:
        apply_entry(tables, entry)
    contents = Contents("tinydb", present=before is not None or journal.exists())
    if found.damaged:
        contents.notes.append(
            f"{journal} has a damaged line followed by others: read up to it, "
            "as the store does when it opens"
        )
    for name in sorted(tables):
        table = tables[name]
        if not table:
            continue
        docs = [{"id": int(key), **table[key]} for key in sorted(table, key=int)]
        for doc in docs:
            doc.setdefault("_rev", 0)  # written by other tools: TinyDB reads it as 0
        if name == COUNTERS:  # Store.next_number's numbers, kept as documents by TinyDB
            contents.numbers = {str(d["name"]): int(d["value"]) for d in docs}
            continue
        contents.collections[name] = docs
        contents.last_ids[name] = docs[-1]["id"]
    return contents


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def _read_fd(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _tables(raw: bytes, path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(t, dict) and all(isinstance(d, dict) for d in t.values()) for t in data.values()
    ):
        raise BackupError(f"{path} is not a TinyDB file ({{table: {{id: document}}}})")
    return data


@_bulk
def read_database(url: str) -> Contents:
    """Every row of a PostgreSQL store, read in one REPEATABLE READ snapshot."""
    from census.store.pgsnapshot import read_snapshot  # psycopg only for a database

    contents = Contents("postgresql")
    try:
        found = read_snapshot(url)
    except StoreError as exc:
        raise BackupError(f"PostgreSQL at {_safe_url(url)}: {exc}") from None
    contents.present = found.present
    contents.last_ids, contents.numbers = found.last_ids, found.numbers
    contents.collections = found.collections
    contents.media = found.media
    return contents


def _safe_url(url: str) -> str:
    """The URL without its password, for messages and the manifest."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username}:***@{netloc.rpartition('@')[2]}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


# -- local files ------------------------------------------------------------------------------


def local_files(data_dir: Path, *, with_print_cache: bool = False) -> list[tuple[str, Path]]:
    """The deployment's files in the data folder: (path inside it, with /; where it is)."""
    found: list[tuple[str, Path]] = []
    for name in LOCAL_FILES:
        path = data_dir / name
        if path.is_file():
            found.append((name, path))
    folders = [*LOCAL_FOLDERS, *([PRINT_CACHE] if with_print_cache else [])]
    for folder in folders:
        root = data_dir / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.endswith(".tmp"):
                found.append((path.relative_to(data_dir).as_posix(), path))
    return found


# -- backup ---------------------------------------------------------------------------------


@_bulk
def backup(
    out: Path,
    target: str | os.PathLike[str],
    data_dir: Path,
    *,
    with_print_cache: bool = False,
    community: str | None = None,
) -> Result:
    """Write a backup of the store at ``target`` and the data folder's files to ``out``.

    ``community``: the code of the street's community the store is ("" for the first one),
    recorded in the manifest with its name, so that a restore into another is refused.
    """
    started = time.perf_counter()
    contents = read_store(target)
    url = database_url(target)
    if not contents.present:
        where = _safe_url(url) if url else str(target)
        raise BackupError(
            f"{where} holds no census store (CENSUS_DATA_DIR, CENSUS_DATABASE_URL?): "
            "nothing backed up"
        )
    files = []
    shared = _shared_files(url) if url else None
    for name, path in local_files(Path(data_dir), with_print_cache=with_print_cache):
        if url and name.startswith(f"{MEDIA}/"):
            continue  # with PostgreSQL the photos are the database's, added below
        if shared is not None and _in_database(name):
            continue  # the key, the surveys and the uploads: the database's, added below
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            continue  # removed while we looked (an import finished, a cache entry pruned)
        files.append((name, data, mtime))
    taken_at = time.time()
    files += [(f"{MEDIA}/{folder}/{name}", data, taken_at) for folder, name, data in contents.media]
    files += [(name, data, taken_at) for name, data in shared or []]
    digest = contents.content_hash()
    of = None if community is None else {"code": community, "name": _own_name(contents)}
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "app_version": _app_version(),
        "backend": contents.backend,
        "source": _safe_url(url) if url else str(Path(target).absolute()),
        "content_hash": digest,
        "counts": contents.counts(),
        "last_ids": contents.last_ids,
        "numbers": contents.numbers,
        "with_print_cache": with_print_cache,
        **({"community": of} if of is not None else {}),
        "files": [
            {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data, _mtime in files
        ],
    }

    def write(fh: IO[bytes]) -> None:
        with tarfile.open(fileobj=fh, mode="w:gz", compresslevel=6) as tar:
            now = time.time()
            _add(tar, MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2), now)
            for name, docs in contents.collections.items():
                _add(tar, f"{COLLECTIONS}/{_member_name(name)}.jsonl", _jsonl(docs), now)
            _add(tar, NUMBERS, orjson.dumps(contents.numbers), now)
            for name, data, mtime in files:
                _add(tar, f"{FILES}/{name}", data, mtime, mode=0o600 if _secret(name) else 0o644)

    write_output(out, write)
    return Result(
        path=out,
        backend=contents.backend,
        content_hash=digest,
        counts=contents.counts(),
        numbers=contents.numbers,
        files=[name for name, _data, _mtime in files],
        size=_size(out),
        seconds=time.perf_counter() - started,
        notes=contents.notes,
        community=of,
    )


def _own_name(contents: Contents) -> str:
    """The community's name as its store keeps it (``census init --community``), or ""."""
    for doc in contents.collections.get("settings", []):
        if doc.get("key") == "community":
            return str(doc.get("name") or "")
    return ""


def described(community: Mapping[str, str] | None, lang: str) -> str:
    """A community of the street in words: ``社区 xq（西区社区）`` / ``community xq (西区社区)``."""
    if community is None:
        return "未记录的社区" if lang == "zh" else "an unrecorded community"
    code, name = str(community.get("code") or ""), str(community.get("name") or "")
    if lang == "zh":
        which = f"社区 {code}" if code else "第一个社区"
        return f"{which}（{name}）" if name else which
    which = f"community {code}" if code else "the first community"
    return f"{which} ({name})" if name else which


def _check_community(
    source: Path, manifest: Mapping[str, Any], into: Mapping[str, str], into_other: bool
) -> str:
    """Refuse a backup of one community restored into another (their residents would be
    mixed up in the registers) unless ``into_other``; returns what to say when allowed."""
    recorded = manifest.get("community")
    of = recorded if isinstance(recorded, dict) else None
    code = str(into.get("code") or "")
    if of is None and not code:
        return ""  # made before backups said their community: a deployment's own store
    if of is not None and str(of.get("code") or "") == code:
        return ""
    if into_other:
        return (
            f"{described(of, 'zh')}的备份恢复到了{described(into, 'zh')} / a backup of "
            f"{described(of, 'en')} restored into {described(into, 'en')}"
        )
    if of is None:
        raise BackupError(
            f"{source} 未记录是哪个社区的备份（早先的版本只备份第一个社区），"
            f"不恢复到{described(into, 'zh')}；确是该社区的备份，请加 --into-other-community"
            f" / {source} does not record which community it is a backup of (earlier versions "
            f"backed up the first community only): not restored into {described(into, 'en')};"
            " add --into-other-community if it is that community's"
        )
    raise BackupError(
        f"{source} 是{described(of, 'zh')}的备份，不是{described(into, 'zh')}的："
        "恢复进去会把一个社区的居民放进另一个社区的台账，未作任何改动；确要如此，请加 "
        f"--into-other-community / {source} is a backup of {described(of, 'en')}, not of "
        f"{described(into, 'en')}: restoring it there would put one community's residents "
        "into another's registers; nothing was changed (add --into-other-community if that "
        "is meant)"
    )


def _shared_files(url: str) -> list[tuple[str, bytes]] | None:
    """The database's secret key and staff surveys as data-folder files (the truth with
    several servers; a data folder's copy may be old or missing where the backup runs)."""
    from census.store.pgshared import read_backup_files  # psycopg only for a database

    try:
        return read_backup_files(url)
    except Exception as exc:  # psycopg.Error, without importing psycopg here
        raise BackupError(f"PostgreSQL at {_safe_url(url)}: {exc}") from None


def _in_database(name: str) -> bool:
    """A data folder's file whose truth is in the database: the key, a staff survey, and
    an upload of the import wizard (kept in census_files a day, left out of backups)."""
    from census.store.pgshared import is_backup_file

    return is_backup_file(name) or name.startswith(f"{LOCAL_FOLDERS[1]}/")


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), mode
    tar.addfile(info, io.BytesIO(data))


def _jsonl(docs: Iterable[Doc]) -> bytes:
    return b"".join(
        orjson.dumps({"id": d["id"], "_rev": d["_rev"], **_body(d)}) + b"\n" for d in docs
    )


def _body(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in ("id", "_rev")}


def _member_name(collection: str) -> str:
    """A collection's name as a file name (names are letters, digits and _ in practice)."""
    return urllib.parse.quote(collection, safe="")


def _secret(name: str) -> bool:
    return name in SECRET_FILES


def _size(path: Path) -> int:
    try:
        st = os.stat(path)
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("community-census")
    except PackageNotFoundError:
        return "unknown"


# -- reading a backup -----------------------------------------------------------------------


@dataclass
class Backup:
    """A backup file read back and checked: its manifest, content and files."""

    manifest: dict[str, Any]
    contents: Contents
    files: dict[str, tuple[bytes, float]]  # path inside the data folder -> (data, mtime)


@_bulk
def read_backup(path: Path) -> Backup:
    """Read a backup file and check it against its manifest (BackupError if it does not match)."""
    try:
        tar = tarfile.open(path, mode="r:*")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a census backup: {exc}") from None
    members: dict[str, tuple[bytes, float]] = {}
    with tar:
        try:
            for info in tar:
                if not info.isfile():
                    continue
                extracted = tar.extractfile(info)
                if extracted is None:
                    continue
                members[info.name] = (extracted.read(), float(info.mtime))
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise BackupError(f"{path} is damaged: {exc}") from None
    try:
        manifest = orjson.loads(members[MANIFEST][0])
    except (KeyError, orjson.JSONDecodeError):
        raise BackupError(f"{path} is not a census backup (no readable {MANIFEST})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a census backup")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path} is a backup of format version {manifest.get('version')}; "
            f"this version of census reads version {VERSION}"
        )
    contents = Contents(str(manifest.get("backend", "")))
    contents.last_ids = {str(k): int(v) for k, v in (manifest.get("last_ids") or {}).items()}
    try:
        contents.numbers = {str(k): int(v) for k, v in orjson.loads(members[NUMBERS][0]).items()}
        for name in manifest["counts"]:
            data = members[f"{COLLECTIONS}/{_member_name(name)}.jsonl"][0]
            contents.collections[name] = [orjson.loads(line) for line in data.splitlines()]
    except (KeyError, ValueError, AttributeError, TypeError) as exc:
        raise BackupError(f"{path} is incomplete or damaged: {exc!r}") from None
    if contents.counts() != manifest["counts"]:
        raise BackupError(f"{path}: the documents do not match the counts of its manifest")
    found = contents.content_hash()
    if found != manifest.get("content_hash"):
        raise BackupError(
            f"{path}: the content hash {found} differs from the manifest's "
            f"{manifest.get('content_hash')}: the file is damaged"
        )
    files: dict[str, tuple[bytes, float]] = {}
    for entry in manifest.get("files") or []:
        name = str(entry["path"])
        if not _safe_relative(name):
            raise BackupError(f"{path}: the file name {name!r} leaves the data folder")
        member = members.get(f"{FILES}/{name}")
        if member is None or hashlib.sha256(member[0]).hexdigest() != entry["sha256"]:
            raise BackupError(f"{path}: the file {name} is missing or damaged")
        files[name] = member
    return Backup(manifest, contents, files)


def _safe_relative(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts


# -- restore --------------------------------------------------------------------------------


@_bulk
def restore(
    source: Path,
    target: str | os.PathLike[str],
    data_dir: Path,
    *,
    community: Mapping[str, str] | None = None,
    into_other: bool = False,
) -> Result:
    """Restore a backup into an empty store at ``target`` and its files into ``data_dir``.

    Refuses (``BackupError``, nothing changed) when the file does not match its manifest,
    when the store holds any document or number, or when the data folder already holds
    staff surveys. The data folder's ``secret_key``, if any, is replaced by the backup's.

    ``community`` (``{"code": …, "name": …}``, code "" for the first one): the street's
    community ``target`` is; a backup of another one is refused unless ``into_other``.
    """
    started = time.perf_counter()
    found = read_backup(source)
    said = (
        "" if community is None else _check_community(source, found.manifest, community, into_other)
    )
    data_dir = Path(data_dir)
    url = database_url(target)
    if url is None:
        taken = [
            name
            for name in found.files
            if name.startswith(f"{LOCAL_FOLDERS[0]}/") and (data_dir / name).exists()
        ]
        if taken:
            raise BackupError(
                f"{data_dir} already holds staff surveys ({', '.join(taken[:3])}): "
                "restore into an empty data folder"
            )
        _check_folder_empty(Path(target))
    else:
        _check_empty(read_database(url), _safe_url(url))
        _check_no_surveys(url)

    store = open_store(target if url is None else url)
    try:
        with store.atomic():
            if url is not None:
                from census.store.pgstore import PgStore  # psycopg only for a database

                assert isinstance(store, PgStore)
                _lock_database(store, _safe_url(url))
            # Collections whose documents were all deleted keep their last id (PostgreSQL).
            last_ids = found.contents.last_ids
            names = set(found.contents.collections) | {n for n, v in last_ids.items() if v > 0}
            for name in sorted(names):
                # Let go of the backup's copy once the store has its own (checked already).
                docs = found.contents.collections.pop(name, [])
                store.collection(name).restore_many(docs, last_id=last_ids.get(name, 0))
                del docs
            for name, value in found.contents.numbers.items():
                got = store.next_number(name, floor=value)
                if got != value:
                    raise BackupError(f"the number {name} was already in use")
            if url is not None:  # the photos, the key and the surveys: into the database
                _put_media(store, found.files)
                _put_shared(store, found.files)
    finally:
        store.close()
    for name, (data, mtime) in found.files.items():
        if url is not None and name.startswith(f"{MEDIA}/"):
            continue  # the key and surveys stay here too: the data folder's copy of them
        path = data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o600 if _secret(name) else 0o644
        if not path.exists():  # created with its mode, so a secret is never readable by others
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, mode))
        os.chmod(path, mode)
        write_output(path, data)  # keeps the mode of the file it replaces
        os.utime(path, (mtime, mtime))
    back = read_store(target if url is None else url)
    return Result(
        path=source,
        backend=back.backend,
        content_hash=back.content_hash(),
        counts=back.counts(),
        numbers=back.numbers,
        files=sorted(found.files),
        size=_size(source),
        seconds=time.perf_counter() - started,
        notes=back.notes,
        expected_hash=str(found.manifest["content_hash"]),
        origin=f"{found.manifest.get('created_at')}, {found.manifest.get('source')}",
        target=_safe_url(url) if url else str(Path(target).absolute()),
        community=recorded
        if isinstance(recorded := found.manifest.get("community"), dict)
        else None,
        into_other=said,
    )


def _put_media(store: Any, files: dict[str, tuple[bytes, float]]) -> None:
    """The backup's ``media/<folder>/<name>`` files into the store's media (PostgreSQL)."""
    for path, (data, _mtime) in files.items():
        if not path.startswith(f"{MEDIA}/"):
            continue
        folder, _, name = path[len(MEDIA) + 1 :].partition("/")
        try:
            store.media.put(folder, name, data)
        except ValueError:
            raise BackupError(f"the media file {path!r} has no plain folder and name") from None


def _put_shared(store: Any, files: dict[str, tuple[bytes, float]]) -> None:
    """The backup's secret key and staff surveys into census_secrets and census_surveys."""
    from census.store.pgshared import is_backup_file, restore_backup_files

    restore_backup_files(
        store.shared, {name: data for name, (data, _t) in files.items() if is_backup_file(name)}
    )


def _check_no_surveys(url: str) -> None:
    """A database that already holds staff surveys is not restored into (as a data folder)."""
    found = _shared_files(url) or []
    names = [name for name, _data in found if name.startswith(f"{LOCAL_FOLDERS[0]}/")]
    if names:
        raise BackupError(
            f"{_safe_url(url)} already holds staff surveys ({', '.join(names[:3])}): "
            "restore into an empty database schema"
        )


def _check_empty(contents: Contents, where: str) -> None:
    if not contents.is_empty():
        counts = ", ".join(f"{name} {n}" for name, n in contents.counts().items())
        raise BackupError(
            f"{where} is not empty ({counts or 'numbers in use'}): "
            "restore only into an empty data folder or database schema"
        )


def _check_folder_empty(folder: Path) -> None:
    """A TinyDB folder must be free (no server) and hold no document."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder")
    from census.store import StoreLocked

    try:
        lock = FolderLock(folder)
    except StoreLocked as exc:
        raise BackupError(f"{exc}: stop the server before restoring") from None
    try:
        _check_empty(read_folder(folder), str(folder))
    finally:
        lock.release()


def _lock_database(store: PgStore, where: str) -> None:
    """Inside the restore's transaction: keep other writers out, and check again it is empty."""
    from census.store.pgsnapshot import lock_and_hold_anything

    if lock_and_hold_anything(store):
        raise BackupError(f"{where} is not empty: someone wrote to it while the restore began")

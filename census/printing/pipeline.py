"""Long prints: parts rendered in batches in worker processes, cached on disk, merged with pypdf.

A print is a list of parts (a building's household list, a chunk of a register, a
building's household cards), each a template and plain JSON-able data. Parts of the grid
template (``print/grid.html``: lists whose sheets are cut in Python, one page each) are
rendered several to one WeasyPrint document: each document carries a fixed cost (styles,
font subset, PDF writing) that one building of three pages would otherwise pay alone.

The cache keeps each part findable on its own: ``<data>/print-cache/<part key>.json`` names
the batch PDF that holds the part and the range of its pages there. A part's key hashes the
template files, the template name, the language and the data, so a reprint after one edit
renders only the part that changed (as a batch of one) and takes every other part's pages
from the batches of earlier prints.

Workers start with the ``forkserver`` method: they are fresh processes that never see
the parent's open store or its folder lock, and receive nothing but plain data.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter

from census.printing import gridstyle
from census.printing.fetcher import STATIC_DIR
from census.printing.render import TEMPLATES_DIR, html_to_document, render_html, render_pdf
from census.util.outputs import write_output

CACHE_FOLDER = "print-cache"
CACHE_DAYS = 30
GRID_TEMPLATE = "print/grid.html"
BATCH_SHEETS = 48  # at most this many sheets in one batch (memory and progress steps)
Progress = Callable[[int, int, str], None]


@cache
def assets_digest() -> str:
    """A hash of every print template and print stylesheet: a change empties the cache.

    The grid's images and text block are drawn by code the template calls (gridstyle.py),
    so that file counts too.
    """
    digest = hashlib.sha256()
    files = sorted((TEMPLATES_DIR / "print").glob("*.html")) + sorted(STATIC_DIR.glob("print*.css"))
    files.append(Path(gridstyle.__file__))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Part:
    """One separately rendered and cached piece of a print."""

    template: str
    context: dict[str, Any]
    lang: str = "zh"
    label: str = ""  # shown in progress and as the PDF outline entry (e.g. the building)
    group: str = ""  # the outline entry the label's entry goes under (e.g. the grid)

    @property
    def key(self) -> str:
        """The cache key: the template files, the template name, the language and the data."""
        payload = json.dumps(
            [assets_digest(), self.template, self.lang, self.context],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class PrintStats:
    """What a print did: parts, how many were rendered or came from the cache, pages, time."""

    parts: int = 0
    rendered: int = 0
    cached: int = 0
    pages: int = 0
    seconds: float = 0.0
    render_cpu: float = 0.0  # CPU seconds the renders took, wherever they ran
    rendered_labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Piece:
    """Where a part's pages are: a cached PDF and the range of its pages in it."""

    path: Path
    first: int = 0
    count: int | None = None  # None: every page of the file


def part_pdf(part: Part) -> bytes:
    """One part on its own as PDF bytes (what a batch of one renders)."""
    if part.template == GRID_TEMPLATE:
        return render_pdf(part.template, {"docs": [part.context]}, lang=part.lang)
    return render_pdf(part.template, part.context, lang=part.lang)


def render_batch(
    template: str, contexts: Sequence[dict[str, Any]], lang: str, target: str
) -> tuple[float, list[int | None]]:
    """Render parts of one template into one PDF at ``target`` (written aside and renamed).

    Returns the CPU seconds it took (for the benchmark; a busy machine stretches wall time)
    and each part's number of pages (None for a part that is the whole file).
    """
    started = time.thread_time()
    if template == GRID_TEMPLATE:
        document = html_to_document(render_html(template, {"docs": list(contexts)}, lang=lang))
        counts: list[int | None] = [len(c["sheets"]) for c in contexts]
        if len(document.pages) != sum(counts):  # a sheet that did not fit its page
            raise RuntimeError(
                f"{template}: {len(document.pages)} pages rendered for {sum(counts)} sheets "
                f"({contexts[0].get('heading', '')})"
            )
        pdf = document.write_pdf()
    else:
        if len(contexts) != 1:
            raise ValueError(f"{template} renders one part at a time")
        pdf = render_pdf(template, contexts[0], lang=lang)
        counts = [None]
    tmp = f"{target}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(pdf)
    os.replace(tmp, target)
    return time.thread_time() - started, counts


def _warm_worker() -> None:
    """Load WeasyPrint and the fonts once per worker, before the first part arrives."""
    render_pdf(GRID_TEMPLATE, {"docs": [_EMPTY_GRID]}, lang="zh")


_EMPTY_GRID: dict[str, Any] = {
    "orientation": "portrait",
    "font_pt": 8,
    "line_mm": 4,
    "sheet_mm": 277,
    "grid_em": 10,
    "rules": [],
    "rules_image": "",
    "header_lines": [],
    "sheets": [{"number": 1, "total": 1, "first": True, "lines": [], "foot": "1"}],
    "heading": "预热",
    "meta": [],
    "intro": [],
    "empty": "",
    "confidential": "",
}

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def default_workers() -> int:
    """One worker per core (at least one)."""
    return max(1, os.cpu_count() or 1)


def worker_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """The process pool, started on first use and kept for later prints."""
    global _pool, _pool_size
    size = workers or default_workers()
    with _pool_lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=True)
            context = multiprocessing.get_context("forkserver")
            # the forkserver imports WeasyPrint once; workers fork from it ready to render
            context.set_forkserver_preload(["census.printing.pipeline"])
            _pool = ProcessPoolExecutor(
                max_workers=size, mp_context=context, initializer=_warm_worker
            )
            _pool_size = size
        return _pool


@atexit.register
def shutdown_pool() -> None:
    """Stop the worker processes (at exit, or when a test wants a fresh pool)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


def cache_dir(data_dir: Path | str) -> Path:
    """The folder of cached parts inside a data folder."""
    folder = Path(data_dir) / CACHE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def prune_cache(folder: Path, days: int = CACHE_DAYS) -> int:
    """Delete cached parts not used for ``days`` days; returns how many went."""
    limit = time.time() - days * 86400
    removed = 0
    for path in [*folder.glob("*.pdf"), *folder.glob("*.json")]:
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


def cached_piece(folder: Path, key: str) -> Piece | None:
    """The cached pages of the part with this key, or None (marked as used when found)."""
    ref = folder / f"{key}.json"
    try:
        where = json.loads(ref.read_text())
        path = folder / where["file"]
        os.utime(path)  # recently used: kept by prune_cache
        os.utime(ref)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Piece(path, where["first"], where["count"])


def _remember(folder: Path, key: str, piece: Piece) -> None:
    ref = folder / f"{key}.json"
    tmp = ref.with_name(f"{ref.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    where = {"file": piece.path.name, "first": piece.first, "count": piece.count}
    tmp.write_text(json.dumps(where))
    os.replace(tmp, ref)


def batches(parts: Sequence[Part], todo: Sequence[int], workers: int) -> list[list[int]]:
    """The parts to render (indexes, in print order) grouped into batches.

    Consecutive grid parts of one language and orientation share a batch of at most
    ``BATCH_SHEETS`` sheets, fewer when that leaves a worker idle, and fewer towards the end
    (a batch takes at most a ``2 × workers``-th of what is left), so that the workers finish
    together; any other part is a batch of its own.
    """
    workers = max(1, workers)
    grid = [parts[i] for i in todo if parts[i].template == GRID_TEMPLATE]
    left = sum(len(part.context["sheets"]) for part in grid)
    limit = max(4, min(BATCH_SHEETS, math.ceil(left / (workers * 3))))
    out: list[list[int]] = []
    current: list[int] = []
    size, kind, cap = 0, None, limit
    for i in todo:
        part = parts[i]
        if part.template != GRID_TEMPLATE:
            out.append([i])
            continue
        n = len(part.context["sheets"])
        this = (part.lang, part.context["orientation"])
        if current and (this != kind or size + n > cap):
            out.append(current)
            current, size = [], 0
        if not current:
            cap = max(4, min(limit, math.ceil(left / (workers * 2))))
        current.append(i)
        size, kind, left = size + n, this, left - n
    if current:
        out.append(current)
    return out


def render_parts(
    parts: Sequence[Part],
    folder: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> tuple[list[Piece], PrintStats]:
    """Each part's pages in the cache folder, rendering those missing (in parallel when many)."""
    stats = PrintStats(parts=len(parts))
    keys = [part.key for part in parts]
    pieces: list[Piece | None] = [cached_piece(folder, key) for key in keys]
    total = len(parts)
    done = sum(piece is not None for piece in pieces)
    stats.cached = done
    if progress:
        progress(done, total, "")
    todo: dict[str, int] = {}  # several identical parts (e.g. two empty buildings) render once
    for i, piece in enumerate(pieces):
        if piece is None:
            todo.setdefault(keys[i], i)
    size = default_workers() if workers is None else workers
    groups = batches(parts, list(todo.values()), size)

    made: dict[str, Piece] = {}

    def finished(group: list[int], path: Path, cpu: float, counts: list[int | None]) -> None:
        nonlocal done
        stats.render_cpu += cpu
        first = 0
        for i, count in zip(group, counts, strict=True):
            made[keys[i]] = Piece(path, first, count)
            _remember(folder, keys[i], made[keys[i]])
            first += count or 0
            stats.rendered += 1
            stats.rendered_labels.append(parts[i].label)
            done += 1
            if progress:
                progress(done, total, parts[i].label)

    jobs = []  # (group, file, arguments of render_batch)
    for group in groups:
        name = hashlib.sha256("".join(keys[i] for i in group).encode()).hexdigest()
        path = folder / f"{name}.pdf"
        head = parts[group[0]]
        contexts = [parts[i].context for i in group]
        jobs.append((group, path, (head.template, contexts, head.lang, str(path))))
    if len(jobs) <= 1 or size == 0:
        for group, path, arguments in jobs:
            finished(group, path, *render_batch(*arguments))
    else:
        pool = worker_pool(size)
        pending = {
            pool.submit(render_batch, *arguments): (group, path) for group, path, arguments in jobs
        }
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                group, path = pending.pop(future)
                finished(group, path, *future.result())  # a failed batch fails the print
    out = [piece or made[key] for piece, key in zip(pieces, keys, strict=True)]
    return out, stats


def merge(
    pieces: Sequence[Piece],
    labels: Sequence[str],
    target: Path,
    *,
    title: str = "",
    groups: Sequence[str] | None = None,
) -> int:
    """Join the parts' pages into ``target`` with an outline entry per label; returns the pages.

    A part's ``group`` (its grid) gets an entry of its own at its first page, and the labels
    of its parts (its buildings) go under it, in print order. Each cached file is read once,
    so the parts of one batch share its fonts in the result.
    """
    writer = PdfWriter()
    readers: dict[Path, PdfReader] = {}
    last, last_group, parent = None, None, None
    for piece, label, group in zip(pieces, labels, groups or [""] * len(labels), strict=True):
        reader = readers.get(piece.path)
        if reader is None:
            reader = readers[piece.path] = PdfReader(piece.path)
        pages = None if piece.count is None else (piece.first, piece.first + piece.count)
        first = len(writer.pages)
        writer.append(reader, pages=pages, import_outline=False)
        if group != last_group:
            parent = writer.add_outline_item(title=group, page_number=first) if group else None
            last_group, last = group, None
        if label and label != last:
            writer.add_outline_item(title=label, page_number=first, parent=parent)
        last = label
    if title:
        writer.add_metadata({"/Title": title, "/Producer": "Community Census (WeasyPrint, pypdf)"})
    pages = len(writer.pages)
    try:
        write_output(target, writer.write)  # renamed over target only if it is a regular file
    finally:
        writer.close()
    return pages


def print_parts(
    parts: Sequence[Part],
    target: Path,
    data_dir: Path | str,
    *,
    title: str = "",
    workers: int | None = None,
    progress: Progress | None = None,
) -> PrintStats:
    """Render (or take from the cache) every part and merge them into ``target``."""
    started = time.perf_counter()
    folder = cache_dir(data_dir)
    prune_cache(folder)
    pieces, stats = render_parts(parts, folder, workers=workers, progress=progress)
    labels, groups = [p.label for p in parts], [p.group for p in parts]
    stats.pages = merge(pieces, labels, Path(target), title=title, groups=groups)
    stats.seconds = time.perf_counter() - started
    return stats

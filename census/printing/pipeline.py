"""Long prints: parts rendered in worker processes, cached on disk, merged with pypdf.

A print is a list of parts (a building's household list, a chunk of a register, a
building's household cards), each a template and plain JSON-able data. A part's PDF is
kept in ``<data>/print-cache/<sha256>.pdf``, the hash taken over the template files,
the template name and the data, so a reprint after one edit renders one part again.

Workers start with the ``forkserver`` method: they are fresh processes that never see
the parent's open store or its folder lock, and receive nothing but plain data.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pypdf import PdfWriter

from census.printing.fetcher import STATIC_DIR
from census.printing.render import TEMPLATES_DIR, render_pdf

CACHE_FOLDER = "print-cache"
CACHE_DAYS = 30
Progress = Callable[[int, int, str], None]


@cache
def assets_digest() -> str:
    """A hash of every print template and print stylesheet: a change empties the cache."""
    digest = hashlib.sha256()
    files = sorted((TEMPLATES_DIR / "print").glob("*.html")) + sorted(STATIC_DIR.glob("print*.css"))
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


def render_part(template: str, context: dict[str, Any], lang: str, target: str) -> float:
    """Render one part to ``target`` (written aside and renamed, so readers never see half).

    Returns the CPU seconds it took (for the benchmark; a busy machine stretches wall time).
    """
    started = time.thread_time()
    pdf = render_pdf(template, context, lang=lang)
    tmp = f"{target}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(pdf)
    os.replace(tmp, target)
    return time.thread_time() - started


def _warm_worker() -> None:
    """Load WeasyPrint and the fonts once per worker, before the first part arrives."""
    render_pdf("print/grid.html", _EMPTY_GRID, lang="zh")


_EMPTY_GRID: dict[str, Any] = {
    "orientation": "portrait",
    "font_pt": 8,
    "line_mm": 4,
    "sheet_mm": 277,
    "grid_em": 10,
    "rules": [],
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
    for path in folder.glob("*.pdf"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


def render_parts(
    parts: Sequence[Part],
    folder: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> tuple[list[Path], PrintStats]:
    """Each part's PDF in the cache folder, rendering those missing (in parallel when many)."""
    stats = PrintStats(parts=len(parts))
    paths = [folder / f"{part.key}.pdf" for part in parts]
    total, done = len(parts), 0
    missing: list[int] = []
    for i, path in enumerate(paths):
        if path.exists():
            os.utime(path)  # recently used: kept by prune_cache
            stats.cached += 1
            done += 1
        else:
            missing.append(i)
    if progress:
        progress(done, total, "")
    todo = {}  # several identical parts (e.g. two empty buildings) render once
    for i in missing:
        todo.setdefault(paths[i], i)
    if len(todo) <= 1 or workers == 0:
        for path, i in todo.items():
            stats.render_cpu += render_part(
                parts[i].template, parts[i].context, parts[i].lang, str(path)
            )
            stats.rendered += 1
            stats.rendered_labels.append(parts[i].label)
            done += 1
            if progress:
                progress(done, total, parts[i].label)
    else:
        pool = worker_pool(workers)
        pending: dict[Future[float], int] = {
            pool.submit(render_part, parts[i].template, parts[i].context, parts[i].lang, str(p)): i
            for p, i in todo.items()
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                i = pending.pop(future)
                stats.render_cpu += future.result()  # a failed part fails the print
                stats.rendered += 1
                stats.rendered_labels.append(parts[i].label)
                done += 1
                if progress:
                    progress(done, total, parts[i].label)
    done = total
    return paths, stats


def merge(paths: Sequence[Path], labels: Sequence[str], target: Path, *, title: str = "") -> int:
    """Join part PDFs into ``target`` with an outline entry per label; returns the pages."""
    writer = PdfWriter()
    last = None
    for path, label in zip(paths, labels, strict=True):
        outline = label if label and label != last else None
        writer.append(str(path), outline_item=outline, import_outline=False)
        last = label
    if title:
        writer.add_metadata({"/Title": title, "/Producer": "Community Census (WeasyPrint, pypdf)"})
    pages = len(writer.pages)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as fh:
        writer.write(fh)
    writer.close()
    os.replace(tmp, target)
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
    paths, stats = render_parts(parts, folder, workers=workers, progress=progress)
    stats.pages = merge(paths, [p.label for p in parts], Path(target), title=title)
    stats.seconds = time.perf_counter() - started
    return stats

"""What hostile spreadsheets cost the importer's reader: time and peak memory, one process each.

    .venv/bin/python bench/import_bounds.py
    .venv/bin/python bench/import_bounds.py --before 6be3332~2   # also the reader of a commit

Makes the hostile files of ``tests/sheets/hostile_files.py`` (compression bombs, a sheet
claiming row 1,048,576, 200,000 rows, 2,000 columns, 200,000-character cells, a billion
laughs, a broken zip, wrong kinds and encodings) and a normal register of 1,000 households
(XLSX and CSV), then reads each in a fresh Python process with ``census.sheets.reader.
read_file``, as the import wizard and ``census import`` do. For each: the file's size,
what the reader said (the refusal's code, or the rows read), wall seconds, the process's
peak resident memory (VmHWM, else ru_maxrss), the memory above the process before reading,
and both as a ratio to reading the normal 1,000-row XLSX in the same run.

``--before REV`` runs the same files through the reader of an older commit (``git archive``
of its ``census/``), each process capped at ``--cap-mb`` of address space and ``--timeout``
seconds, so that the old numbers can be seen without taking the machine down. Prints a
table; never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "sheets"))

import hostile_files as hf  # noqa: E402

CHILD = r"""
import json, re, resource, sys, time
def peak_kb():
    try:
        status = open('/proc/self/status').read()
        return int(re.search(r'VmHWM:\s+(\d+)', status).group(1))
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from pathlib import Path
from census.sheets.reader import read_file
before = peak_kb()
started = time.perf_counter()
try:
    sheets = read_file(Path(sys.argv[1]))
    result = "read " + ", ".join(f"{len(s.rows):,} rows" for s in sheets)
except MemoryError:
    result = "MemoryError"
except Exception as exc:
    result = getattr(exc, "code", None) or type(exc).__name__
seconds = time.perf_counter() - started
print(json.dumps({"result": result, "seconds": seconds, "peak": peak_kb(), "before": before}))
"""


def csv_file(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def table(rows: list[list[str]], sep: str = ",") -> str:
    return "".join(sep.join(row) + "\n" for row in rows)


def no_r(path: Path, extra: str) -> Path:
    header = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in hf.HEADER)
    return hf.write_zip(path, hf.workbook({"住户": hf.sheet_xml(f"<row>{header}</row>{extra}")}))


def files(folder: Path) -> list[tuple[str, Path]]:
    """(kind, path) of every file measured; the normal XLSX first."""
    normal = hf.normal_xlsx(folder / "normal.xlsx", 1000)
    slow = "<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>" * 100_000
    made = [
        ("normal register, 1,000 households (xlsx)", normal),
        (
            "normal register, 1,000 households (csv)",
            csv_file(folder / "normal.csv", table([hf.HEADER, *hf.people(1000)])),
        ),
        ("bomb: sheet unpacks to 2 GiB", hf.bomb_xlsx(folder / "bomb.xlsx", 2 * hf.GIB)),
        (
            "bomb: header says 200 KB, unpacks to 1 GiB",
            hf.bomb_xlsx(folder / "lie.xlsx", hf.GIB, lie=200_000),
        ),
        (
            "bomb: 200 MiB of rows (under the part limit)",
            hf.bomb_xlsx(folder / "b200.xlsx", 200 * hf.MIB),
        ),
        ("bomb: 3 sheets of 200 MiB", hf.bomb_of_parts_xlsx(folder / "parts.xlsx")),
        ("value on row 1,048,576", hf.far_row_xlsx(folder / "far.xlsx", value=True)),
        (
            "dimension A1:XFD1048576, styled XFD1048576",
            hf.far_row_xlsx(folder / "dim.xlsx", value=False),
        ),
        (
            "merged G2:XFD1048576",
            hf.far_row_xlsx(folder / "merge.xlsx", value=False, merge="G2:XFD1048576"),
        ),
        ("200,000 rows", hf.many_rows_xlsx(folder / "rows.xlsx")),
        ("2,000 columns", hf.wide_xlsx(folder / "wide.xlsx")),
        ("200,000-character cell (inline)", hf.long_cell_xlsx(folder / "long.xlsx")),
        ("200,000-character shared string", hf.long_cell_xlsx(folder / "ss.xlsx", shared=True)),
        ("billion laughs in sharedStrings", hf.laughs_xlsx(folder / "laughs.xlsx")),
        ("broken zip (half a workbook)", hf.broken_zip(folder / "broken.xlsx", normal)),
        (
            ".xlsx that is a PNG",
            (folder / "png.xlsx", (folder / "png.xlsx").write_bytes(hf.PNG))[0],
        ),
        ("slow path (no r=), 300,000 cells", no_r(folder / "slow.xlsx", slow)),
        (
            "csv: 200,000-character cell",
            csv_file(folder / "long.csv", table([hf.HEADER, ["H1", "1栋", "长" * 200_000]])),
        ),
        (
            "csv: 200,000 rows",
            csv_file(
                folder / "rows.csv", table([hf.HEADER] + [[f"H{i}", "1栋"] for i in range(200_000)])
            ),
        ),
        (
            "csv: 5,000,000 separators",
            csv_file(folder / "commas.csv", "a" + "," * 5_000_000 + "\n"),
        ),
        ("csv: Latin-1 bytes", csv_file(folder / "latin.csv", "name,city\nZoë,Café\n", "latin-1")),
    ]
    return made


def measure(path: Path, code_dir: Path, cap_mb: int, timeout: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_dir))

    def cap() -> None:
        import resource

        limit = cap_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=str(code_dir),
            timeout=timeout,
            preexec_fn=cap if cap_mb else None,
        )
    except subprocess.TimeoutExpired:
        return {"result": f"still reading after {timeout:.0f} s", "seconds": timeout, "peak": 0}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        last = (done.stderr.strip().splitlines() or ["?"])[-1][:60]
        return {"result": f"crashed: {last}", "seconds": time.perf_counter() - started, "peak": 0}


def size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def report(title: str, measured: list[tuple[str, Path, dict]]) -> None:
    base = measured[0][2]
    print(f"\n{title}\n")
    print("| file | size | reader says | seconds | peak RSS MB | above start MB | × time | × RSS |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for kind, path, m in measured:
        peak, before = m["peak"] / 1024, m.get("before", 0) / 1024
        ratio_t = m["seconds"] / base["seconds"] if base["seconds"] else 0
        ratio_m = m["peak"] / base["peak"] if base["peak"] and m["peak"] else 0
        print(
            f"| {kind} | {size(path.stat().st_size)} | {m['result']} | {m['seconds']:.2f} | "
            f"{peak:.0f} | {max(peak - before, 0):.0f} | {ratio_t:.1f} | {ratio_m:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="also run the reader of this commit")
    parser.add_argument("--cap-mb", type=int, default=3072, help="address space per process")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = files(folder)
        now = [(kind, path, measure(path, ROOT, 0, args.timeout)) for kind, path in made]
        report("This tree's reader", now)
        if args.before:
            old = folder / "before"
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before, "census"],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "x", "-C", str(old)], input=archive, check=True)
            then = [
                (kind, path, measure(path, old, args.cap_mb, args.timeout)) for kind, path in made
            ]
            report(
                f"The reader of {args.before} (capped at {args.cap_mb} MB, {args.timeout:.0f} s)",
                then,
            )


if __name__ == "__main__":
    main()

"""Hostile spreadsheets: a clear message (what and where) within seconds, memory bounded,
nothing stored changed; through `census import` (a real subprocess, its peak RSS read with
getrusage) and through the web upload (the Flask test client).

The files are made for real in ``hostile_files``: compression bombs (a sheet unpacking to
2 GiB, a header lying about the size, parts together beyond the archive's limit, 200 MB of
rows within the part limit), a sheet claiming row 1,048,576 and A1:XFD1048576, 200,000 rows,
2,000 columns, 200,000-character cells, a billion laughs, a broken zip, a .xlsx that is a
CSV or a PNG, an old .xls, CSV files in GBK, UTF-16 and Latin-1.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hostile_files as hf
import pytest

from census.sheets import limits
from census.sheets.reader import read_file
from census.store import open_store
from tests.conftest import csrf_token

SECONDS = 10.0  # of CPU for the reading (CPU, not wall: other work on the machine slows
# the clock, not the work; a reader that loops or inflates a bomb spends CPU all the same)
CLI_SECONDS = 30.0  # the command's whole run: start-up, reading, the message
EXTRA_MB = 200  # peak RSS above a normal small import
# The child's own peak: VmHWM of its memory map. (getrusage's ru_maxrss would not do: Linux
# carries the parent's peak into a child started with vfork, and pytest's may be larger.)
WRAPPER = (
    "import atexit, re, resource, sys\n"
    "def peak():\n"
    "    try:\n"
    "        status = open('/proc/self/status').read()\n"
    "        return int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
    "    except (OSError, AttributeError):\n"
    "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "atexit.register(lambda: sys.stderr.write('MAXRSS %d\\n' % peak()))\n"
    "from census.cli import main\n"
    "sys.argv = ['census', *sys.argv[1:]]\n"
    "main()\n"
)


def csv_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def table_csv(rows: list[list[str]], sep: str = ",") -> str:
    return "".join(sep.join(row) + "\n" for row in rows)


def no_r_xlsx(path: Path, extra: str) -> Path:
    """Cells without an ``r`` attribute: only openpyxl reads them (the slow path)."""
    header = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in hf.HEADER)
    rows = f"<row>{header}</row>" + extra
    return hf.write_zip(path, hf.workbook({"住户": hf.sheet_xml(rows)}))


@dataclass
class Case:
    """A hostile file, its name, the code it is refused with and words its messages hold."""

    id: str
    make: Callable[[Path], Path]
    name: str
    code: str
    zh: tuple[str, ...]
    en: tuple[str, ...]


CASES = [
    Case(
        "bomb-2GiB",
        lambda p: hf.bomb_xlsx(p, 2 * hf.GIB),
        "bomb.xlsx",
        "part_too_large",
        ("“xl/worksheets/sheet1.xml”解压后为 2.0 GB", "上限 256 MB", "压缩炸弹"),
        ("unpacks to 2.0 GB", "256 MB"),
    ),
    Case(
        "bomb-lying-header",
        lambda p: hf.bomb_xlsx(p, 1 * hf.GIB, lie=200_000),
        "lie.xlsx",
        "xlsx_damaged",
        ("无法读取该文件", "xl/worksheets/sheet1.xml", "Bad CRC-32"),
        ("damaged",),
    ),
    Case(
        "bomb-within-part-limit",
        lambda p: hf.bomb_xlsx(p, 200 * hf.MIB),
        "rows.xlsx",
        "too_many_cells",
        ("超过 2,000,000 个", "工作表“住户”第 2 行"),
        ("more than 2,000,000 cells", "sheet “住户”, row 2"),
    ),
    Case(
        "bomb-of-parts",
        hf.bomb_of_parts_xlsx,
        "parts.xlsx",
        "archive_too_large",
        ("解压后共 600 MB", "上限 512 MB"),
        ("600 MB in all",),
    ),
    Case(
        "row-1048576",
        lambda p: hf.far_row_xlsx(p, value=True),
        "far.xlsx",
        "too_many_rows",
        ("工作表“住户”第 1,048,576 行有内容", "最多 100,000 行"),
        ("row 1,048,576", "100,000 rows"),
    ),
    Case(
        "200000-rows",
        hf.many_rows_xlsx,
        "many.xlsx",
        "too_many_rows",
        ("工作表“住户”第 100,001 行有内容",),
        ("row 100,001",),
    ),
    Case(
        "2000-columns",
        hf.wide_xlsx,
        "wide.xlsx",
        "too_many_columns",
        ("工作表“住户”第 1 行 SG 列有内容", "最多 500 列（A–SF 列）"),
        ("row 1 in column SG", "500 columns"),
    ),
    Case(
        "long-inline-cell",
        hf.long_cell_xlsx,
        "long.xlsx",
        "cell_too_long",
        ("工作表“住户”第 3 行 E 列的内容有 200,000 个字符", "32,767"),
        ("row 3, column E holds 200,000 characters",),
    ),
    Case(
        "long-shared-string",
        lambda p: hf.long_cell_xlsx(p, shared=True),
        "shared.xlsx",
        "cell_too_long",
        ("第 3 行 E 列的内容有 200,000 个字符",),
        ("200,000 characters",),
    ),
    Case(
        "billion-laughs-strings",
        hf.laughs_xlsx,
        "laughs.xlsx",
        "xml_dtd",
        ("“xl/sharedStrings.xml”含有 DOCTYPE 或实体（ENTITY）声明",),
        ("declares a DOCTYPE or entities",),
    ),
    Case(
        "billion-laughs-workbook",
        lambda p: hf.laughs_xlsx(p, part="workbook"),
        "laughs2.xlsx",
        "xml_dtd",
        ("“xl/workbook.xml”含有 DOCTYPE",),
        ("xl/workbook.xml",),
    ),
    Case(
        "broken-zip",
        lambda p: hf.broken_zip(p, hf.normal_xlsx(p.with_name("whole.xlsx"), 200)),
        "broken.xlsx",
        "xlsx_damaged",
        ("无法读取该文件：已损坏",),
        ("damaged",),
    ),
    Case(
        "xlsx-that-is-csv",
        lambda p: csv_text(p, table_csv([hf.HEADER, *hf.people(2)])),
        "台账.xlsx",
        "xlsx_is_text",
        ("“台账.xlsx”的扩展名是 .xlsx，但内容是文本（CSV）", "改名为 .csv"),
        ("rename it to .csv",),
    ),
    Case(
        "xlsx-that-is-png",
        lambda p: (p.write_bytes(hf.PNG), p)[1],
        "photo.xlsx",
        "file_kind",
        ("“photo.xlsx”的扩展名是 .xlsx，但内容是PNG 图片",),
        ("holds a PNG image",),
    ),
    Case(
        "old-xls-renamed",
        lambda p: (p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)), p)[1],
        "old.xlsx",
        "xls_old",
        ("旧版 Excel（.xls", "另存为 .xlsx"),
        ("old Excel .xls",),
    ),
    Case(
        "slow-path-too-large",
        lambda p: no_r_xlsx(
            p, "<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>" * 100_000
        ),
        "slow.xlsx",
        "slow_too_large",
        ("300,007 个单元格", "上限 250,000"),
        ("limit of 250,000",),
    ),
    Case(
        "slow-path-row-1048576",
        lambda p: no_r_xlsx(p, '<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>'),
        "slowfar.xlsx",
        "too_many_rows",
        ("工作表“住户”第 1,048,576 行",),
        ("row 1,048,576",),
    ),
    Case(
        "csv-long-cell",
        lambda p: csv_text(p, table_csv([hf.HEADER, ["H1", "1栋", "101", "自有", "长" * 200_000]])),
        "long.csv",
        "cell_too_long",
        ("工作表“long”第 2 行 E 列的内容有 200,000 个字符",),
        ("row 2, column E holds 200,000 characters",),
    ),
    Case(
        "csv-200000-rows",
        lambda p: csv_text(p, table_csv([hf.HEADER] + [[f"H{i}", "1栋"] for i in range(200_000)])),
        "rows.csv",
        "too_many_rows",
        ("工作表“rows”第 100,001 行有内容",),
        ("row 100,001",),
    ),
    Case(
        "csv-2000-columns",
        lambda p: csv_text(p, table_csv([hf.HEADER + [f"列{n}" for n in range(2000)]])),
        "wide.csv",
        "too_many_columns",
        ("第 1 行 SG 列有内容",),
        ("column SG",),
    ),
    Case(
        "csv-5-million-separators",
        lambda p: csv_text(p, "户编号" + "," * 5_000_000 + "x\n"),
        "commas.csv",
        "too_many_columns",
        ("工作表“commas”第 1 行",),
        ("row 1",),
    ),
    Case(
        "csv-latin1-garbage",
        lambda p: csv_text(p, "name,city\nZoë,Café\n", "latin-1"),
        "latin.csv",
        "csv_encoding",
        ("第 2 行有无法解码的字节（EB 2C", "UTF-8、GB18030/GBK"),
        ("line 2 holds bytes that cannot be decoded",),
    ),
    Case(
        "csv-binary",
        lambda p: (p.write_bytes(b"a,b\n\x00\x01\x02\x03,c\n"), p)[1],
        "nul.csv",
        "csv_binary",
        ("第 2 行含有 NUL",),
        ("Line 2",),
    ),
]
READABLE = [
    # (id, make, name): files that look hostile but hold two good households
    ("dimension-A1:XFD1048576", lambda p: hf.far_row_xlsx(p, value=False), "dim.xlsx"),
    (
        "merge-A1:XFD1048576",
        lambda p: hf.far_row_xlsx(p, value=False, merge="G2:XFD1048576"),
        "merge.xlsx",
    ),
    ("csv-gbk", lambda p: csv_text(p, table_csv([hf.HEADER, *hf.people(2)]), "gbk"), "gbk.csv"),
    (
        "csv-utf16-bom-tabs",
        lambda p: csv_text(p, table_csv([hf.HEADER, *hf.people(2)], "\t"), "utf-16"),
        "u16.csv",
    ),
    (
        "csv-utf16le-no-bom",
        lambda p: csv_text(p, table_csv([hf.HEADER, *hf.people(2)], "\t"), "utf-16-le"),
        "u16le.csv",
    ),
]


def census(data: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """`census …` in a subprocess: the result, its wall seconds and its peak RSS in MB."""
    env = dict(os.environ, CENSUS_DATA_DIR=str(data), CENSUS_FSYNC="false")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=Path(__file__).resolve().parents[2],
    )
    seconds = time.perf_counter() - started
    found = re.search(r"MAXRSS (\d+)", done.stderr)
    assert found, done.stderr
    return done, seconds, int(found.group(1)) / 1024


def stored(data: Path) -> list[dict]:
    store = open_store(data, fsync=False)
    try:
        return sorted(store.collection("households").scan(), key=lambda d: d["id"])
    finally:
        store.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A data folder holding two households, and a normal import's peak RSS (MB)."""
    folder = tmp_path_factory.mktemp("seeded")
    data = folder / "data"
    done, _s, _mb = census(data, "init")
    assert done.returncode == 0, done.stderr
    good = hf.normal_xlsx(folder / "good.xlsx", 2)
    done, _s, normal_mb = census(data, "import", str(good))
    assert done.returncode == 0 and "新增 new 2" in done.stdout, done.stdout + done.stderr
    assert len(stored(data)) == 2
    return data, normal_mb


@pytest.fixture
def data(seeded, tmp_path):
    return Path(shutil.copytree(seeded[0], tmp_path / "data"))


def made(case_make, tmp_path: Path, name: str) -> Path:
    path = case_make(tmp_path / name)
    assert path.stat().st_size <= limits.MAX_FILE_BYTES  # each fits under the upload limit
    return path


@pytest.mark.slow  # a `census import` process per file (about 3 s each)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_census_import_refuses_a_hostile_file_quickly_within_memory(case, data, seeded, tmp_path):
    path = made(case.make, tmp_path, case.name)
    before = stored(data)
    done, seconds, peak_mb = census(data, "import", str(path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    zh, en = done.stdout.splitlines()[:2]  # Chinese first, then English
    for words in case.zh:
        assert words in zh, zh
    for words in case.en:
        assert words in en, en
    assert seconds < CLI_SECONDS
    assert peak_mb < seeded[1] + EXTRA_MB, f"{peak_mb:.0f} MB, normal {seeded[1]:.0f} MB"
    assert stored(data) == before


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_reader_gives_the_code_in_seconds(case, tmp_path):
    path = made(case.make, tmp_path, case.name)
    started = time.process_time()
    with pytest.raises(limits.SheetError) as refused:
        read_file(path)
    assert time.process_time() - started < SECONDS
    assert refused.value.code == case.code, refused.value


@pytest.mark.slow
@pytest.mark.parametrize("make, name", [r[1:] for r in READABLE], ids=[r[0] for r in READABLE])
def test_files_that_only_look_hostile_are_read(make, name, data, seeded, tmp_path):
    path = made(make, tmp_path, name)
    before = stored(data)
    done, seconds, peak_mb = census(data, "import", str(path), "--dry-run")
    assert "Traceback" not in done.stderr, done.stderr
    assert "数据行 2 行" in done.stdout and "试运行" in done.stdout, done.stdout
    assert seconds < CLI_SECONDS and peak_mb < seeded[1] + EXTRA_MB
    assert stored(data) == before
    sheet = read_file(path)[0]
    assert sheet.rows[1][0] == "H1" and sheet.rows[2][4] == "住户2"
    assert len(sheet.rows) == 3 and max(len(r) for r in sheet.rows) <= limits.MAX_COLUMNS


# -- the web upload ----------------------------------------------------------------------


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


def upload(client, path: Path, name: str):
    token = csrf_token(client, "/sheets/")
    file = (io.BytesIO(path.read_bytes()), name)
    response = client.post(
        "/sheets/upload",
        data={"csrf_token": token, "form": "household", "file": file},
        content_type="multipart/form-data",
    )
    # The test client spools a large body to a temporary file and leaves it open.
    response.request.environ["wsgi.input"].close()
    return response


def snapshot(store) -> tuple[list, list]:
    households = sorted(store.collection("households").scan(), key=lambda d: d["id"])
    buildings = sorted(store.collection("buildings").scan(), key=lambda d: d["id"])
    return households, buildings


def uploaded_folders(app) -> list[Path]:
    root = Path(app.config["DATA_DIR"]) / "imports"
    return sorted(root.iterdir()) if root.is_dir() else []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_web_upload_refuses_a_hostile_file_with_its_message(case, admin, app, store, tmp_path):
    from census.services import records
    from census.surveys.definition import load_surveys
    from tests.factories import make_household

    records.save(store, load_surveys()["household"], make_household(), user="admin")
    before = snapshot(store)
    path = made(case.make, tmp_path, case.name)
    started = time.process_time()
    response = upload(admin, path, case.name)
    assert response.status_code == 302
    if "/sheets/import/" in response.headers["Location"]:  # passed the quick checks
        response = admin.get(response.headers["Location"])  # the mapping page reads it
        assert response.status_code == 302
    assert response.headers["Location"].endswith("/sheets/")
    assert time.process_time() - started < SECONDS
    page = admin.get("/sheets/").get_data(as_text=True)
    for words in case.zh:
        assert words in page, (words, page[-3000:])
    admin.get("/sheets/?lang=en")
    page = admin.get("/sheets/").get_data(as_text=True)
    assert "At most 16 MB per file" in page
    assert snapshot(store) == before
    assert uploaded_folders(app) == []  # the refused file is not kept


def test_an_upload_beyond_16_mb_is_the_same_message(admin, app, store, tmp_path):
    before = snapshot(store)
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" * (5 * 1024 * 1024))  # 20 MB
    response = upload(admin, path, "big.csv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sheets/")
    page = admin.get("/sheets/").get_data(as_text=True)
    assert "超过上限 16 MB" in page
    assert snapshot(store) == before and uploaded_folders(app) == []


def test_a_stream_beyond_the_limit_is_not_kept(tmp_path):
    from census.sheets import uploads

    big = io.BytesIO(b"x" * (limits.MAX_FILE_BYTES + 10))
    with pytest.raises(limits.SheetError) as refused:
        uploads.create(tmp_path, "big.csv", big, "household", "admin")
    assert refused.value.code == "file_too_large"
    assert list((tmp_path / uploads.FOLDER).iterdir()) == []


def test_every_refusal_has_a_message_in_both_languages():
    from census.sheets.issues import IMPORT_MESSAGES
    from census.util.i18n import gettext

    for case in CASES:
        chinese = IMPORT_MESSAGES[case.code]
        assert chinese and gettext(chinese, "en") not in ("", chinese)


# -- the limits themselves, exactly --------------------------------------------------------


def one_cell_xlsx(path: Path, ref: str, value: str = "x") -> Path:
    rows = hf.row_xml(1, hf.HEADER) + (
        f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{ref}" t="inlineStr">'
        f"<is><t>{value}</t></is></c></row>"
    )
    return hf.write_zip(path, hf.workbook({"住户": hf.sheet_xml(rows)}))


def test_the_last_row_and_column_are_read_one_further_is_refused(tmp_path):
    (sheet,) = read_file(one_cell_xlsx(tmp_path / "a.xlsx", "A100000"))
    assert len(sheet.rows) == 100_000 and sheet.rows[-1] == ["x"]
    assert sheet.rows[50_000] == []  # rows between are empty, not padded to a width
    with pytest.raises(limits.SheetError) as refused:
        read_file(one_cell_xlsx(tmp_path / "b.xlsx", "A100001"))
    assert refused.value.code == "too_many_rows"
    (sheet,) = read_file(one_cell_xlsx(tmp_path / "c.xlsx", "SF2"))
    assert len(sheet.rows[1]) == 500 and sheet.rows[1][-1] == "x"
    with pytest.raises(limits.SheetError) as refused:
        read_file(one_cell_xlsx(tmp_path / "d.xlsx", "SG2"))
    assert refused.value.params["column"] == "SG" and refused.value.params["row"] == "2"


def test_a_cell_may_hold_32767_characters_not_one_more(tmp_path):
    (sheet,) = read_file(one_cell_xlsx(tmp_path / "a.xlsx", "B2", "长" * 32_767))
    assert len(sheet.rows[1][1]) == 32_767
    with pytest.raises(limits.SheetError) as refused:
        read_file(one_cell_xlsx(tmp_path / "b.xlsx", "B2", "长" * 32_768))
    assert refused.value.params["length"] == "32,768"
    ok = csv_text(tmp_path / "a.csv", f"户编号,姓名\nH1,{'长' * 32_767}\n")
    assert len(read_file(ok)[0].rows[1][1]) == 32_767
    with pytest.raises(limits.SheetError) as refused:
        read_file(csv_text(tmp_path / "b.csv", f"户编号,姓名\nH1,{'长' * 32_768}\n"))
    assert (refused.value.params["row"], refused.value.params["column"]) == ("2", "B")


def test_csv_rows_keep_their_numbers_across_blank_lines(tmp_path):
    path = csv_text(tmp_path / "a.csv", "户编号,姓名\n\n ,\nH1,张三\n\n\n")
    assert read_file(path)[0].rows == [["户编号", "姓名"], [], [], ["H1", "张三"]]


def test_a_file_over_16_mb_or_empty_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:
        fh.truncate(limits.MAX_FILE_BYTES + 1)
    with pytest.raises(limits.SheetError) as refused:
        read_file(big)
    assert refused.value.code == "file_too_large" and refused.value.params["limit"] == "16 MB"
    (tmp_path / "empty.xlsx").write_bytes(b"")
    with pytest.raises(limits.SheetError) as refused:
        read_file(tmp_path / "empty.xlsx")
    assert refused.value.code == "file_empty"


def test_a_csv_named_xlsx_the_other_way_round(tmp_path):
    path = hf.normal_xlsx(tmp_path / "real.xlsx", 1)
    renamed = tmp_path / "台账.csv"
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(limits.SheetError) as refused:
        read_file(renamed)
    assert refused.value.code == "csv_is_xlsx"


def test_a_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<document/>")
    with pytest.raises(limits.SheetError) as refused:
        read_file(path)
    assert refused.value.code == "not_a_workbook"


def test_a_sheet_refused_part_way_leaves_its_file_closed(tmp_path):
    """The reader refuses a sheet in the middle of its rows: the file is closed when the
    refusal is raised, not later by the collector (a ResourceWarning in some other test or
    request, and an open file meanwhile)."""
    case = next(c for c in CASES if c.name == "slowfar.xlsx")
    path = made(case.make, tmp_path, case.name)
    with pytest.raises(limits.SheetError) as refused:
        read_file(path)
    fds = Path("/proc/self/fd")
    held = [fd for fd in fds.iterdir() if _target(fd) == str(path)]
    assert held == [], refused.value  # while the refusal (and its traceback) is still held


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:
        return ""

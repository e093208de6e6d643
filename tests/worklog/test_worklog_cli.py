"""`census survey add|list` and `census worklog report`, as an administrator types them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.surveys.xlsform_files import ROSTER, xlsform

CENSUS = [sys.executable, "-m", "census"]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CENSUS_DATA_DIR=str(data_dir), CENSUS_FSYNC="false")
    return subprocess.run([*CENSUS, *args], capture_output=True, text=True, env=env, timeout=120)


def test_surveys_are_added_from_the_command_line_with_problems_by_row(tmp_path):
    data = tmp_path / "data"
    good, bad = tmp_path / "roster.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(xlsform())
    nested = [
        *(
            ("begin_repeat", name, label, name.upper())
            for name, label in zip("abcd", "甲乙丙丁", strict=True)
        ),
        ("text", "e", "戊", "E"),
        *(("end_repeat", "", "", "") for _ in range(4)),
    ]
    bad.write_bytes(xlsform([*ROSTER[:3], *nested]))  # repeats four deep: refused
    refused = run(data, "survey", "add", str(bad))
    assert refused.returncode == 1
    assert (
        "survey 表第 8 行 type 列（A8）" in refused.stderr
        and "重复组嵌套超过 3 层" in refused.stderr
    )
    added = run(data, "survey", "add", str(good))
    assert added.returncode == 0, added.stderr
    assert "roster" in added.stdout
    listed = run(data, "survey", "list").stdout.splitlines()
    assert "roster\t家庭情况调查\t0 *" in listed
    assert any(line.startswith("visit\t走访慰问记录\t0") for line in listed)


def test_the_work_report_is_written_as_pdf_and_xlsx(tmp_path):
    data = tmp_path / "data"
    shown = run(data, "worklog", "report", "--from", "2025-01-01", "--to", "2025-03-31")
    assert shown.returncode == 0, shown.stderr
    assert "2025年1月1日至3月31日，社区共走访慰问0次" in shown.stdout
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    assert run(data, "worklog", "report", "--from", "2025-01-01", "-o", str(pdf)).returncode == 0
    assert "工作报告" in PdfReader(pdf).pages[0].extract_text()
    assert run(data, "worklog", "report", "--lang", "en", "-o", str(xlsx)).returncode == 0
    assert load_workbook(xlsx).sheetnames == ["Work report", "Service cases by channel"]
    wrong = run(data, "worklog", "report", "--from", "2025-13-01")
    assert wrong.returncode == 2 and "YYYY-MM-DD" in wrong.stderr

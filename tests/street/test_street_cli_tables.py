"""``census street registers``, ``street report`` and ``street print``, against each
community's own commands (``census --community CODE registers | worklog report``).

Real data folders: the first community in the folder, the added one in communities/xq/,
each with service cases drawn at random; the prints run as separate processes, as an
administrator types them, so that their exit status is the one a shell sees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from census.cli import main
from census.context import Census, load_config
from census.street.places import community_config
from tests.street.street_site import save_cases, service_cases, submit_household

PERIOD = ("--from", "2025-01-01", "--to", "2025-06-30")


@pytest.fixture
def street(tmp_path):
    """The data folder of a street of two demo communities with work records."""
    data = tmp_path / "data"
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}

    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    run("init", "--community", "东区社区")
    run("demo", "--households", "12")
    run("community", "add", "西区社区", "--code", "xq")
    run("--community", "xq", "demo", "--households", "9")
    first = load_config({"DATA_DIR": str(data), "FSYNC": False})
    for config, seed, count in ((first, 4, 50), (community_config(first, "xq"), 5, 30)):
        census = Census.open(config)
        try:
            save_cases(census, service_cases(seed, count))
            if seed == 5:
                submit_household(census, "903", "surveyor1")  # one of 西区 waits for review
        finally:
            census.close()
    run.data = data
    return run


def own_cases(run, *community: str) -> list[tuple[int, int]]:
    """(受理, 办结) of 窗口, 信访 and 热线, read from the case sheet of the workbook the
    community's own ``census worklog report -o`` writes."""
    out = run.data.parent / f"own{len(community)}.xlsx"
    run(*community, "worklog", "report", *PERIOD, "-o", str(out))
    sheet = load_workbook(out)["便民服务、信访、热线办理情况"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[0] for row in rows] == ["窗口", "信访", "热线", "合计"]
    return [(row[2], row[3]) for row in rows[:3]]


def test_the_street_report_adds_the_communities_own_reports(street):
    east, west = own_cases(street), own_cases(street, "--community", "xq")
    assert len(east) == len(west) == 3
    answer = street("street", "report", *PERIOD, "--json")
    assert answer.stderr.strip() == "仅含已审核记录；另有 1 户待审核未计入"
    body = json.loads(answer.stdout)
    assert list(body) == ["佐斯腾社区", "西区社区", "合计"]  # the demo names the first one
    for n, channel in enumerate(("window", "petition", "hotline")):
        got = body["合计"][channel]
        accepted, handled = east[n][0] + west[n][0], east[n][1] + west[n][1]
        assert (got["accepted"], got["handled"]) == (accepted, handled), channel
        assert got["rate"] == round(handled / accepted, 4), channel
        assert (body["西区社区"][channel]["accepted"], body["西区社区"][channel]["handled"]) == (
            west[n]
        )
    every = body["合计"]["all"]
    assert every["accepted"] == sum(a for a, _h in east + west)
    assert every["rate"] == round(every["handled"] / every["accepted"], 4)
    shown = street("street", "report", *PERIOD).stdout.splitlines()
    assert shown[0] == "街道工作报告（2025-01-01至2025-06-30）"
    assert shown[1] == "仅含已审核记录；另有 1 户待审核未计入"
    assert shown[2].split("\t")[:4] == ["社区", "窗口受理", "窗口办结", "窗口办结率"]
    assert (
        shown[-1].split("\t")[0] == "合计" and int(shown[-1].split("\t")[10]) == every["accepted"]
    )
    bad = street("street", "report", "--from", "2025-13-01", code=2)
    assert "YYYY-MM-DD" in bad.output


def own_registers(run, *community: str, all_records: bool = False) -> dict[str, int]:
    """{register key: rows} as the community's own ``census registers`` prints them."""
    args = [*community, "registers", "--as-of", "2025-06-30", *(["--all"] if all_records else [])]
    lines = run(*args).stdout.splitlines()
    return {line.split()[0]: int(line.split()[1]) for line in lines}


def test_the_street_registers_are_each_communitys_counts_and_their_sum(street):
    for flag in ((), ("--all",)):
        east = own_registers(street, all_records=bool(flag))
        west = own_registers(street, "--community", "xq", all_records=bool(flag))
        answer = street("street", "registers", "--as-of", "2025-06-30", "--json", *flag)
        body = json.loads(answer.stdout)
        assert body["佐斯腾社区"] == east and body["西区社区"] == west
        assert body["合计"] == {key: east[key] + west[key] for key in east}
        said = "含未审核记录：其中 1 户待审核" if flag else "仅含已审核记录；另有 1 户待审核未计入"
        assert answer.stderr.strip() == said
    table = street("street", "registers", "--as-of", "2025-06-30").stdout.splitlines()
    assert table[0].split("\t") == ["台账", "佐斯腾社区", "西区社区", "合计"]
    assert len(table) == 1 + len(east)


def census_process(data, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CENSUS_DATA_DIR=str(data), CENSUS_FSYNC="false")
    return subprocess.run(
        [sys.executable, "-m", "census", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def test_street_print_writes_each_table_and_exits_0(street, tmp_path):
    heads = {"summary": "街道基本情况", "registers": "街道台账", "report": "街道工作报告"}
    for target, head in heads.items():
        out = tmp_path / f"{target}.pdf"
        done = census_process(
            street.data, "street", "print", target, *PERIOD, "--prepared-by", "王芳", "-o", str(out)
        )
        assert done.returncode == 0, (target, done.returncode, done.stderr[-500:])
        reader = PdfReader(out)
        page = reader.pages[0]
        assert page.mediabox.width > page.mediabox.height, target  # landscape
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert head in text and "佐斯腾社区" in text and "西区社区" in text, target
        assert "仅含已审核记录；另有 1 户待审核未计入" in text, target
        assert "制表人：王芳　　审核人：________" in text, target
        total = r"^户籍人口 \d+ \d+ \d+$" if target == "registers" else r"^合计 \d"
        assert re.search(total, text, re.M), target  # the 合计 column, or row
    refused = census_process(street.data, "street", "print", "households", "-o", "x.pdf")
    assert refused.returncode == 2

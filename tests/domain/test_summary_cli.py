"""`census summary --json` and `census registers` on the generated community, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from census.app import create_app
from census.web.current import get_store
from tests.community import AS_OF, PAST, TRUE_FIGURES, TRUE_REGISTERS, build


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data folder holding the generated community (then closed, as an admin's would be)."""
    folder = tmp_path_factory.mktemp("cli") / "data"
    community = build()
    app = create_app({"DATA_DIR": str(folder), "FSYNC": False, "SECRET_KEY": "x"})
    store = get_store(app)
    store.collection("households").insert_many(community.households)
    store.collection("storefronts").insert_many(community.storefronts)
    store.collection("units").insert_many(community.units)
    store.close()
    return folder, community


def census(folder, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CENSUS_DATA_DIR=str(folder), CENSUS_FSYNC="false")
    return subprocess.run(
        [sys.executable, "-m", "census", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_summary_json_has_exactly_the_domain_keys_and_figures(data_dir):
    folder, community = data_dir
    result = census(folder, "summary", "--json", "--as-of", AS_OF.isoformat())
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures == TRUE_FIGURES
    assert list(figures) == list(TRUE_FIGURES)
    past = json.loads(census(folder, "summary", "--json", "--as-of", PAST.isoformat()).stdout)
    assert past == community.expected(PAST)


def test_summary_as_text_and_a_bad_date(data_dir):
    folder, _community = data_dir
    result = census(folder, "summary", "--as-of", AS_OF.isoformat())
    assert result.returncode == 0, result.stderr
    assert "出租房屋\t165" in result.stdout and "少数民族占比\t26.83%" in result.stdout
    assert "共有居民1057户3753人，其中少数民族1007人，占26.83%" in result.stdout
    bad = census(folder, "summary", "--as-of", "1.9.2025")
    assert bad.returncode == 2 and "as-of" in bad.stderr


def test_registers_prints_each_register_with_its_count(data_dir):
    folder, _community = data_dir
    result = census(folder, "registers", "--as-of", AS_OF.isoformat())
    assert result.returncode == 0, result.stderr
    counts = {}
    for line in result.stdout.splitlines():
        key, count, name = line.split(maxsplit=2)
        counts[key] = int(count)
    assert counts == TRUE_REGISTERS
    assert "少数民族人员" in result.stdout
    english = census(folder, "registers", "--as-of", AS_OF.isoformat(), "--lang", "en")
    assert "Ethnic minority residents" in english.stdout

"""The command line of a street: ``census community``, ``census --community``, ``census street``.

Real data folders: the first community in the folder, the added one in communities/<code>/.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from census.cli import main


@pytest.fixture
def run(tmp_path):
    env = {"CENSUS_DATA_DIR": str(tmp_path / "data"), "CENSUS_FSYNC": "false"}

    def invoke(*args: str, code: int = 0):
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_two_communities_from_the_command_line_and_their_total(run, tmp_path):
    run("init", "--community", "东区社区")
    run("demo", "--households", "12")
    added = run("community", "add", "西区社区", "--code", "xq")
    assert "西区社区 (xq)" in added.output
    assert (tmp_path / "data" / "communities" / "xq").is_dir()
    run("--community", "xq", "demo", "--households", "9")
    listed = run("community", "list").output.splitlines()
    assert listed[1].split() == ["xq", "西区社区"]

    first = json.loads(run("summary", "--json").stdout)
    second = json.loads(run("--community", "xq", "summary", "--json").stdout)
    assert (first["households"], second["households"]) == (12, 9)

    street = json.loads(run("street", "summary", "--json").stdout)
    assert list(street)[1:] == ["西区社区", "合计"]
    total = street["合计"]
    assert total["households"] == 21
    assert total["residents"] == first["residents"] + second["residents"]
    assert total["ethnic_groups"] <= first["ethnic_groups"] + second["ethnic_groups"]
    # asked from inside the second community, the street is the same street
    again = json.loads(run("--community", "xq", "street", "summary", "--json").stdout)
    assert again["合计"] == total


def test_a_community_the_street_does_not_have_is_refused_in_words(run, tmp_path):
    run("init")
    refused = run("--community", "nowhere", "summary", code=1)
    assert "no community coded nowhere" in refused.output
    assert not (tmp_path / "data" / "communities").exists()  # nothing made for it
    bad = run("community", "add", "北区", "--code", "Bad Code", code=1)
    assert "lowercase letters" in bad.output
    run("community", "add", "北区", "--code", "bq")
    taken = run("community", "add", "南区", "--code", "bq", code=1)
    assert "is taken" in taken.output

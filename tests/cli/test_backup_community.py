"""`census --community CODE backup` and `restore`, and `census backup --all DIR`, on a street.

A street is made as its staff make one: `census init`, `census community add 西区社区 --code
xq`, `census --community xq demo`, every command in a process of its own, on real TinyDB
folders and on the real PostgreSQL. The backup of 西区 is taken while its store and the
first community's are held open (as `census serve` holds them), its store is then removed
(the folder, or the schema dropped), and `census --community xq restore` brings it back,
the same content hash, the first community untouched. On the code before, both commands
worked on the first community whatever `--community` said.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from datetime import date
from pathlib import Path

import orjson
import psycopg
import pytest

from census.services.backup import read_store
from census.store import open_store
from tests.conftest import PG_URL
from tests.street.street_site import census

EAST, WEST, SOUTH = "东区社区", "西区社区", "南区社区"
HASH = re.compile(r"内容哈希 / content hash: ([0-9a-f]{64})$", re.MULTILINE)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``census …`` in a process of its own."""
    return census(*args, env=env)


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done


def refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 1, no traceback, every word said on standard error."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)
    return done.stderr


def street(env: dict[str, str]) -> None:
    """东区 (the first, nearly empty), 西区 xq with the demo's 50 households, 南区 nq empty."""
    ok(run(env, "init", "--community", EAST))
    ok(run(env, "community", "add", WEST, "--code", "xq"))
    ok(run(env, "community", "add", SOUTH, "--code", "nq"))
    ok(run(env, "--community", "xq", "demo"))


def manifest(path: Path) -> dict:
    with tarfile.open(path) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return orjson.loads(member.read())


# ------------------------------------------------------------------ TinyDB
@pytest.fixture
def tiny(tmp_path):
    data = tmp_path / "data"
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}
    street(env)
    return env, data


def test_a_community_is_backed_up_and_restored_by_its_code(tiny, tmp_path):
    env, data = tiny
    west = data / "communities" / "xq"
    first_hash = read_store(data).content_hash()
    west_before = read_store(west)
    assert len(west_before.collections["households"]) == 50
    backup = tmp_path / "xq.tar.gz"
    # Both folders held as a server holds them: the backup reads files, takes no lock.
    held = [open_store(data, fsync=False), open_store(west, fsync=False)]
    try:
        made = ok(run(env, "--community", "xq", "backup", str(backup)))
    finally:
        for store in held:
            store.close()
    assert HASH.findall(made.stdout) == [west_before.content_hash()]
    assert manifest(backup)["community"] == {"code": "xq", "name": "佐斯腾社区"}

    shutil.rmtree(west)  # the case 暂不可用：该社区的数据已不存在 … 请从备份恢复
    done = ok(run(env, "--community", "xq", "restore", str(backup)))
    assert HASH.findall(done.stdout)[-1] == west_before.content_hash()
    back = read_store(west)
    assert back.collections["households"] == west_before.collections["households"]
    assert back.content_hash() == west_before.content_hash()
    assert read_store(data).content_hash() == first_hash  # the first community untouched
    # A restore into a community whose store holds records: refused, nothing changed.
    refused(run(env, "--community", "xq", "restore", str(backup)), "not empty")
    assert read_store(west).content_hash() == west_before.content_hash()

    # CENSUS_COMMUNITY chooses the community as --community does.
    again = ok(run(env | {"CENSUS_COMMUNITY": "xq"}, "backup", str(tmp_path / "again.tar.gz")))
    assert HASH.findall(again.stdout) == [west_before.content_hash()]


def test_a_backup_is_not_restored_into_another_community(tiny, tmp_path):
    env, data = tiny
    south = data / "communities" / "nq"
    south_hash = read_store(south).content_hash()
    west_backup, first_backup = tmp_path / "xq.tar.gz", tmp_path / "first.tar.gz"
    ok(run(env, "--community", "xq", "backup", str(west_backup)))
    ok(run(env, "backup", str(first_backup)))
    assert manifest(first_backup)["community"] == {"code": "", "name": EAST}

    said = refused(
        run(env, "--community", "nq", "restore", str(west_backup)),
        str(west_backup),
        "是社区 xq（佐斯腾社区）的备份，不是社区 nq（南区社区）的",
        "is a backup of community xq (佐斯腾社区), not of community nq (南区社区)",
        "--into-other-community",
    )
    assert len(said.strip().splitlines()) == 1
    refused(
        run(env, "--community", "nq", "restore", str(first_backup)),
        "是第一个社区（东区社区）的备份",
        "a backup of the first community (东区社区)",
    )
    assert read_store(south).content_hash() == south_hash  # nothing changed

    # On purpose: restored, and said so.
    shutil.rmtree(south)
    done = ok(run(env, "--community", "nq", "restore", "--into-other-community", str(west_backup)))
    assert "a backup of community xq (佐斯腾社区) restored into community nq (南区社区)" in (
        done.stderr
    )
    assert len(read_store(south).collections["households"]) == 50


def test_an_unknown_code_is_said_in_one_line(tiny, tmp_path):
    env, data = tiny
    backup = tmp_path / "zz.tar.gz"
    for args in (["backup", str(backup)], ["restore", str(tmp_path / "zz.tar.gz")]):
        if args[0] == "restore":
            ok(run(env, "backup", str(backup)))
        done = run(env, "--community", "zz", *args)
        said = refused(done, "没有代码为 zz 的社区", "no community coded zz", str(data))
        assert len(said.strip().splitlines()) == 1
    assert not (data / "communities" / "zz").exists()


def test_backup_all_writes_one_file_per_community(tiny, tmp_path):
    env, data = tiny
    out = tmp_path / "backups"
    day = date.today().isoformat()
    done = ok(run(env, "backup", "--all", str(out)))
    names = {
        "": out / f"census-{day}.tar.gz",
        "xq": out / f"census-xq-{day}.tar.gz",
        "nq": out / f"census-nq-{day}.tar.gz",
    }
    assert sorted(out.iterdir()) == sorted(names.values())
    hashes = HASH.findall(done.stdout)
    stores = {"": data, "xq": data / "communities" / "xq", "nq": data / "communities" / "nq"}
    assert hashes == [read_store(stores[code]).content_hash() for code in ("", "xq", "nq")]
    for code, path in names.items():
        assert manifest(path)["community"]["code"] == code
        assert manifest(path)["content_hash"] == read_store(stores[code]).content_hash()

    # One community whose store is gone: said in one line, the others written, exit 1.
    shutil.rmtree(stores["xq"])
    again = tmp_path / "again"
    done = run(env, "backup", "--all", str(again))
    said = refused(done, "社区 xq", "未备份 / not backed up", str(stores["xq"]))
    assert [line for line in said.splitlines() if "xq" in line and "未备份" in line]
    assert sorted(p.name for p in again.iterdir()) == [
        f"census-{day}.tar.gz",
        f"census-nq-{day}.tar.gz",
    ]
    assert len(HASH.findall(done.stdout)) == 2


# ------------------------------------------------------------------ PostgreSQL
def _drop(*schemas: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _schema(url: str) -> str:
    found = re.search(r"search_path%3D(\w+)", url)
    assert found
    return found.group(1)


@pytest.fixture
def pg_street(pg_url, tmp_path):
    schema = _schema(pg_url)
    env = {"CENSUS_DATA_DIR": str(tmp_path / "data"), "CENSUS_DATABASE_URL": pg_url}
    street(env)
    yield env, schema
    _drop(f"{schema}_xq", f"{schema}_nq")


def _url(schema: str) -> str:
    return f"{PG_URL}?options=-c%20search_path%3D{schema}"


def test_a_community_schema_is_backed_up_and_restored_by_its_code(pg_street, tmp_path):
    env, schema = pg_street
    first, west, south = _url(schema), _url(f"{schema}_xq"), _url(f"{schema}_nq")
    first_hash, south_hash = read_store(first).content_hash(), read_store(south).content_hash()
    west_before = read_store(west)
    assert len(west_before.collections["households"]) == 50
    backup = tmp_path / "xq.tar.gz"
    made = ok(run(env, "--community", "xq", "backup", str(backup)))
    assert HASH.findall(made.stdout) == [west_before.content_hash()]

    refused(run(env, "--community", "nq", "restore", str(backup)), "--into-other-community")
    assert read_store(south).content_hash() == south_hash

    _drop(f"{schema}_xq")
    assert not read_store(west).present
    done = ok(run(env, "--community", "xq", "restore", str(backup)))
    assert HASH.findall(done.stdout)[-1] == west_before.content_hash()
    back = read_store(west)
    assert back.collections["households"] == west_before.collections["households"]
    assert back.content_hash() == west_before.content_hash()
    assert read_store(first).content_hash() == first_hash

    out = tmp_path / "backups"
    everything = ok(run(env, "backup", "--all", str(out)))
    assert len(list(out.iterdir())) == 3
    assert HASH.findall(everything.stdout) == [
        first_hash,
        west_before.content_hash(),
        south_hash,
    ]
    refused(run(env, "--community", "zz", "backup", str(tmp_path / "zz.tar.gz")), "zz")

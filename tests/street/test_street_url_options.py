"""A community's database URL keeps the deployment's own libpq options (a statement
timeout, logging) beside the search path that points it at the community's schema."""

from __future__ import annotations

import urllib.parse

import psycopg

from census.store import schema_of
from census.street.places import community_config, with_search_path
from tests.conftest import PG_URL


def test_the_communitys_url_keeps_the_deployments_options(pg_url):
    options = "-c statement_timeout=5000 -c search_path=elsewhere -c lock_timeout=2500"
    url = f"{PG_URL}?sslmode=disable&options={urllib.parse.quote(options)}"
    config = community_config({"DATABASE_URL": url, "DATA_DIR": "/nonexistent"}, "xq")
    got = str(config["DATABASE_URL"])
    assert schema_of(got) != "elsewhere" and schema_of(got)
    assert "sslmode=disable" in got
    with psycopg.connect(with_search_path(url, "pg_catalog")) as conn:
        shown = [conn.execute(f"SHOW {name}").fetchone()[0] for name in
                 ("statement_timeout", "lock_timeout", "search_path")]  # fmt: skip
    assert shown == ["5s", "2500ms", "pg_catalog"]


def test_a_url_without_options_gets_the_search_path_only():
    assert with_search_path(PG_URL, "c_xq") == f"{PG_URL}?options=-c%20search_path%3Dc_xq"

"""Helpers for the work-record web tests: a stored household, forms posted as a browser does."""

from __future__ import annotations

from typing import Any

from census.services import records
from tests.conftest import csrf_token
from tests.factories import make_household


def stored_household(app: Any, store: Any, **overrides: Any) -> dict[str, Any]:
    """Save a household as staff would; returns it as stored (with id and household_no)."""
    defn = app.extensions["census"].surveys["household"]
    result = records.save(store, defn, make_household(**overrides), user="admin")
    assert result.saved, result.problems
    return store.collection("households").get(result.id)


def form_data(defn: Any, record: dict[str, Any]) -> dict[str, Any]:
    """A record as the survey form posts it: repeats as key-n-field, lists as repeated keys."""
    data: dict[str, Any] = {}
    for f in defn.fields:
        value = record.get(f.key)
        if f.type == "repeat":
            for n, item in enumerate(value or []):
                for sub, v in item.items():
                    data[f"{f.key}-{n}-{sub}"] = "" if v is None else v
        elif value is not None:
            data[f.key] = (
                {True: "yes", False: "no"}.get(value, value) if f.type == "yes_no" else value
            )
    return data


def post_form(client: Any, defn: Any, record: dict[str, Any], url: str | None = None) -> Any:
    """Fill and save a survey form through the test client."""
    url = url or f"/survey/{defn.name}/new"
    data = form_data(defn, record) | {"csrf_token": csrf_token(client, url), "save": "1"}
    return client.post(url, data=data)

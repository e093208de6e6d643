"""The application context: the store and the definitions, built once from the configuration.

The web app (``census.app.create_app``) and the command line (``census.cli``) both start
from one ``Census``: the same store, the same survey and register definitions, the same
read models. Nothing is set up by importing a module; ``Census.open`` does it in order and
a failure at any step (a locked folder, a broken definition) closes the store again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config

from census.domain.registers import RegisterDef
from census.fieldwork import prepare_store as prepare_fieldwork
from census.queries.derived import Derived
from census.services.records import prepare_store, repair_stored
from census.store import Store, StoreError, open_store, require_first
from census.surveys import custom
from census.surveys.definition import FormDef, load_surveys
from census.surveys.registers import load_registers
from census.util.resources import FORMS_DIR, PACKAGE_DIR, default_data_dir

DEFAULTS: dict[str, Any] = {
    "COMMUNITY_NAME": "示范社区",
    "FSYNC": True,
    "FORMS_DIR": None,  # None: the forms folder installed with the package
    "DATABASE_URL": None,  # None: the records live in the data folder (TinyDB)
    # Connections one process opens to the database, over all the street's communities.
    "DATABASE_CONNECTIONS": 20,
}


def load_config(overrides: Mapping[str, Any] | None = None, **defaults: Any) -> Config:
    """Defaults, then ``CENSUS_*`` environment variables, then ``overrides`` (tests, CLI)."""
    config = Config(str(PACKAGE_DIR))
    config.from_mapping(DEFAULTS, DATA_DIR=str(default_data_dir()), **defaults)
    config.from_prefixed_env("CENSUS")
    if overrides:
        config.from_mapping(overrides)
    return config


def database_connections(config: Mapping[str, Any]) -> int | None:
    """CENSUS_DATABASE_CONNECTIONS as a number of at least 2 (None without a database URL),
    or ``StoreError`` saying what it is instead: the command says so in one line."""
    if not config.get("DATABASE_URL"):
        return None
    value = config.get("DATABASE_CONNECTIONS", DEFAULTS["DATABASE_CONNECTIONS"])
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 2 or isinstance(value, bool):
        raise StoreError(
            f"CENSUS_DATABASE_CONNECTIONS must be a whole number of at least 2, not {value!r}"
        )
    return number


def makes_store(config: Mapping[str, Any]) -> bool:
    """Is a missing store made by this opening: the first community's (a brand-new
    deployment: ``census init``, ``census serve`` on an empty folder or database) and one
    being added (``CREATE_STORE``); an added community's store that is gone is
    ``StoreMissing``, never made again empty (its figures would be zeros without a word)."""
    return not config.get("COMMUNITY_CODE") or bool(config.get("CREATE_STORE"))


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data folder 0700: who lives where is read by the app's own account only."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        data_dir.chmod(0o700)
    except PermissionError:  # a folder owned by someone else: leave its mode to them
        pass


class Census:
    """One installation: its store, survey and register definitions and read models."""

    def __init__(self, config: Mapping[str, Any], store: Store) -> None:
        self.config = config
        self.data_dir = Path(config["DATA_DIR"])
        self.forms_dir = Path(config.get("FORMS_DIR") or FORMS_DIR)
        self.store = store
        self.surveys: dict[str, FormDef] = {}
        self.custom: set[str] = set()  # the names of the surveys staff added
        self.registers: list[RegisterDef] = []
        self.derived: Derived | None = None

    @classmethod
    def open(cls, config: Mapping[str, Any]) -> Census:
        """Open the store and load every definition; a broken one stops here with its name."""
        data_dir = Path(config["DATA_DIR"])
        url = config.get("DATABASE_URL")
        create = makes_store(config)
        if not config.get("COMMUNITY_CODE"):  # the first community: made only when new
            require_first(url or data_dir)
        if create or url:
            prepare_data_dir(data_dir)
        # The data folder always holds the local files (secret key, print cache, uploads);
        # the records live there too (TinyDB) unless a PostgreSQL URL is given.
        store = open_store(
            url or data_dir,
            fsync=bool(config["FSYNC"]),
            connections=database_connections(config),
            create=create,
        )
        prepare_data_dir(data_dir)  # an added community's folder, found: its mode
        census = cls(config, store)
        try:
            census._load()
        except BaseException:
            store.close()  # a start that fails frees the folder for the next try
            raise
        return census

    def _load(self) -> None:
        from census.worklog.store import registers as work_registers

        prepare_store(self.store)
        prepare_fieldwork(self.store)
        self.surveys = load_surveys(self.forms_dir)
        custom.install(self)
        work_registers(self.surveys)  # a broken work register: DefinitionError now
        path = self.forms_dir / "registers.yaml"
        # a forms folder of its own without a registers file keeps the standard registers
        self.registers = load_registers(path if path.exists() else None)
        self.derived = Derived(self.store, self.registers)
        repair_stored(self.store, self.surveys)

    def community_name(self) -> str:
        """The name set with ``census init --community`` (else the configured one)."""
        row = self.store.collection("settings").find_one(key="community")
        return row["name"] if row else str(self.config["COMMUNITY_NAME"])

    def close(self) -> None:
        """Close the store (the data folder's lock is released)."""
        self.store.close()

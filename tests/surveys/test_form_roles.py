"""What a form's records are is said by the form, not by its name.

The household form's roles (``numbered``, ``in_address_tree``, ``door_visits``,
``person_checks`` in forms/household.yaml) are read by the save, the surveyor's refusal,
the import and the pages. A copy of the forms folder moves them: the storefront form is
put in the address tree, the household form loses its roles, and a copy of it under
another name (家庭, collection ``families``) takes them. Each record then behaves as its
form says: the storefront in a building the community lacks adds it (or is refused to a
surveyor), the household form's records get no number, no visit and no checks, and the
family's get all three.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from census.app import create_app
from census.domain.ids import make_resident_id
from census.fieldwork.assignments import refusal
from census.queries import places
from census.services import records
from census.services.accounts import add_user
from census.sheets.vocabulary import Vocabulary
from census.surveys.definition import DefinitionError, load_definition
from census.util.resources import FORMS_DIR
from census.web.access import User
from census.web.current import context, get_store
from tests.conftest import FAST_HASH
from tests.factories import make_household, make_member, make_storefront

ROLE_KEYS = ("numbered", "in_address_tree", "door_visits", "person_checks")
ROLES = dict.fromkeys(ROLE_KEYS, True)


def _edit(path: Path, **changes: object) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del raw[key]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def moved_roles(folder: Path) -> Path:
    """The standard forms, the storefront in the address tree, the household form without
    its roles, and family.yaml: the household form, roles and all, under another name."""
    shutil.copytree(FORMS_DIR, folder)
    shutil.copy(folder / "household.yaml", folder / "family.yaml")
    _edit(folder / "family.yaml", form="family", collection="families")
    _edit(folder / "household.yaml", **dict.fromkeys(ROLE_KEYS))
    _edit(folder / "storefront.yaml", in_address_tree=True)
    return folder


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "FORMS_DIR": str(moved_roles(tmp_path / "forms")),
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "FSYNC": False,
            "COMMUNITY_NAME": "佐斯腾社区",
        }
    )
    store = get_store(app)
    store.collection("buildings").insert({"name": "1栋", "grid": "第一网格", "type": "residential"})
    add_user(store, "admin", "admin", "secret-pass-1", hash_method=FAST_HASH)
    add_user(
        store, "surveyor1", "surveyor", "secret-pass-1", grids=["第一网格"], hash_method=FAST_HASH
    )
    yield app
    store.close()


def _surveyor(store) -> User:
    return User(store.collection("users").find_one(username="surveyor1"))


def test_the_standard_forms_give_the_roles_to_the_household_form_alone():
    from census.surveys.definition import load_surveys

    forms = load_surveys(FORMS_DIR)
    assert {k: getattr(forms["household"], k) for k in ROLE_KEYS} == ROLES
    for name, form in forms.items():
        if name != "household":
            assert not any(getattr(form, k) for k in ROLE_KEYS), name


def test_a_storefront_form_in_the_address_tree_adds_its_building_or_is_refused(app):
    store = get_store(app)
    with app.app_context():
        storefront = context().surveys["storefront"]
    assert storefront.in_address_tree
    saved = records.save(store, storefront, make_storefront(building="9栋"), user="admin")
    assert saved.saved, saved.problems
    assert "9栋" in places.building_names(store)  # the standard storefront form adds none
    problem = refusal(store, _surveyor(store), storefront, "12栋")
    assert problem is not None and problem.code == "building_unknown"
    problem = refusal(store, _surveyor(store), storefront, "")
    assert problem is not None and problem.code == "building_not_assigned"


def test_the_roles_follow_the_form_not_its_name(app):
    store = get_store(app)
    with app.app_context():
        household = context().surveys["household"]
    family = load_definition(Path(app.config["FORMS_DIR"]) / "family.yaml")
    assert family.name == "family" and family.collection == "families"

    # A child older than the head, a person another household holds: the person checks.
    first = records.save(store, household, make_household(2), user="admin")
    assert first.saved, first.problems
    born = date(1958, 3, 3)  # the head was born in 1960
    child = make_member(
        2, birth_date=born.isoformat(), id_number=make_resident_id("110105", born, 12, "male")
    )
    members = [make_member(0), child]
    plain = records.save(store, household, dict(make_household(), members=members), user="admin")
    assert plain.saved, plain.problems
    assert not plain.problems
    assert not plain.record.get("household_no") and "visit_outcome" not in plain.record

    raw = dict(make_household(building="8栋"), members=members)
    kin = records.save(store, family, raw, user="admin")
    assert kin.saved, kin.problems
    codes = {p.code for p in kin.problems}
    assert {"child_age_gap", "id_in_other_household"} <= codes
    assert kin.record["household_no"].startswith("H")
    assert kin.record["visit_outcome"] == "completed" and kin.record["surveyor"] == "admin"
    assert "8栋" in places.building_names(store)
    again = records.save(store, family, raw, user="admin", record_id=kin.id)
    assert again.record["household_no"] == kin.record["household_no"]  # kept on an edit

    # An import reads a family sheet as one row per person, a household sheet per record.
    assert Vocabulary(family).per_person
    assert not Vocabulary(household).per_person


def test_a_role_needs_the_fields_it_reads(tmp_path):
    shutil.copy(FORMS_DIR / "storefront.yaml", tmp_path / "storefront.yaml")
    _edit(tmp_path / "storefront.yaml", numbered=True)
    with pytest.raises(DefinitionError, match="numbered.*household_no"):
        load_definition(tmp_path / "storefront.yaml")
    _edit(tmp_path / "storefront.yaml", numbered="yes")
    with pytest.raises(DefinitionError, match="true or false"):
        load_definition(tmp_path / "storefront.yaml")

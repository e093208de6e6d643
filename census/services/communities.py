"""Adding a community to a street deployment: its entry in the first store, audited.

The entry is what makes the community exist for the deployment (its pages, chosen with
``?community=<code>``, and its row in the street's tables); its own store is opened, and
named, by the caller through ``census.street.places.community_config``, since opening a
store is the application context's business. The entry is written "not made yet"
(``made: False``) and marked made (``made_community``) once that store exists and is named;
if making it failed (the database down, the disk full, the process killed in between), the
next opening of the community makes it, and adding it again with the same name and code
finishes it.
"""

from __future__ import annotations

import unicodedata

from census.queries.communities import COLLECTION, Community, added, find
from census.services import audit
from census.store import DuplicateKey, Store
from census.street.places import valid_code

MAX_NAME = 40


class CommunityError(ValueError):
    """A community that cannot be added, said in both languages."""


def clean_name(name: str) -> str:
    """A name as it is kept: trimmed, each run of spaces (full-width ones too) one space."""
    return " ".join(name.split())


def name_key(name: str) -> str:
    """What two names must not share: the name with full-width letters, digits and spaces
    made half-width (NFKC), case folded, without any space (东区 社区, 东区　社区 and
    东区社区 are one name)."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def add_community(store: Store, name: str, code: str, *, home_name: str, actor: str) -> Community:
    """List a new community (code and name unique in the street, the first one's included).

    The store holds both unique (``code`` and ``name_key``), so two admins adding the same
    name at the same moment, on one server or two, get one community and one refusal.
    A community listed with this code and name whose store was never made is given back
    (``made`` False) for the caller to make its store: adding it again finishes it."""
    name, code = clean_name(name), code.strip()
    if not name or len(name) > MAX_NAME:
        raise CommunityError(f"社区名称应为 1–{MAX_NAME} 个字 / a name of 1–{MAX_NAME} characters")
    if not valid_code(code):
        raise CommunityError(
            "社区代码只能用小写字母、数字和 _（最多 31 个） / "
            "a code of lowercase letters, digits and _ (up to 31)"
        )
    key = name_key(name)
    half_added = find(store, code)
    if half_added is not None and not half_added.made and name_key(half_added.name) == key:
        return half_added
    taken = CommunityError(f"已有名为“{name}”的社区 / a community named {name} exists")
    # the first community, and those listed before names were kept unique by the store
    if key == name_key(home_name) or any(name_key(c.name) == key for c in added(store)):
        raise taken
    row = {"code": code, "name": name, "name_key": key, "made": False}
    try:
        store.collection(COLLECTION).insert(row, unique=("code", "name_key"))
    except DuplicateKey as exc:
        if exc.field == "name_key":
            raise taken from exc
        raise CommunityError(f"社区代码 {code} 已被使用 / code {code} is taken") from exc
    audit.record(store, actor, "add_community", f"communities/{code}", name=name)
    return Community(code, name, made=False)


def made_community(store: Store, code: str) -> None:
    """Mark the community ``code`` of the street's list (in the first store, ``store``) as
    made: its own store exists and is named. From then on a store of it that is gone is
    ``StoreMissing``, never made again empty."""
    collection = store.collection(COLLECTION)
    row = collection.find_one(code=code)
    if row is None or row.get("made") is not False:  # not listed, or made already
        return
    kept = {k: v for k, v in row.items() if k not in ("id", "_rev")}
    collection.update(row["id"], kept | {"made": True}, unique=("code", "name_key"))


def name_community(store: Store, name: str) -> None:
    """Keep a community's name in its own store (titles, printouts, its app's header)."""
    settings = store.collection("settings")
    row = settings.find_one(key="community")
    if row is None:
        try:
            settings.insert({"key": "community", "name": name}, unique=("key",))
            return
        except DuplicateKey:  # another server opening it named it a moment ago
            row = settings.find_one(key="community")
    if row is not None and row.get("name") != name:
        settings.update(row["id"], {"key": "community", "name": name})


def finish_community(first: Store, own: Store, community: Community) -> None:
    """The community's store ``own`` was just opened (made if it was not yet): name it, and
    mark the community made in the street's list (kept in the first store, ``first``)."""
    name_community(own, community.name)
    if not community.made:
        made_community(first, community.code)

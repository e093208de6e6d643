"""A stored value as people read it, decided in one place for pages, printouts and exports.

Code words instead of codes (a form's own lists too), 是/否 for yes/no answers, the
entries of a list joined with 、 (", " in English), ID numbers masked (docs/domain.md §8)
unless the caller, who logs it, asks for full ones. What differs between outputs is a
parameter of ``value_text``, not a copy of it: a page shows "—" for nothing answered where
a register cell stays empty; a printout masks phone numbers too; an export keeps dates and
numbers as cells of their own type and asks this module only for words.
"""

from __future__ import annotations

from typing import Any, Final, Protocol

from census.domain.contact import mask_phone
from census.domain.ids import mask_id
from census.util.i18n import N_, NC_, ByLanguage, gettext

# Fields whose values are ID numbers by key, for columns that carry no field type (a
# register's head_id_number); a field of type id_number is one anyway.
ID_KEYS: Final = frozenset({"id_number", "head_id_number", "operator_id_number"})
SEPARATORS: Final = ByLanguage(NC_("list separator", "、"))  # ", " in English
SELECT_TYPES: Final = ("select_one", "select_many")
YES, NO = N_("是"), N_("否")
LOCATION: Final = N_("纬度 {lat}，经度 {lon}")
ACCURACY: Final = N_("（精度 ±{accuracy} 米）")
# What an import left for a surveyor to fill in (a column its file lacked), on the record
# or on a member: said as 待核实 where the value would be, never as an empty cell.
PENDING: Final = "pending_fields"
PENDING_WORD: Final = N_("待核实")
HEAD_PENDING: Final = N_("{name}（待核实）")


class Field(Protocol):
    """What a value's field must tell: survey fields, register columns, import targets."""

    @property
    def key(self) -> str:
        """The field's key (``id_number``, ``head_phone``)."""
        ...

    @property
    def type(self) -> str:
        """Its survey field type (``select_one``, ``yes_no``, ``id_number``, ``text`` …)."""
        ...

    @property
    def choices(self) -> str | None:
        """The name of its code list, if it has one."""
        ...

    def word(self, code: str, lang: str = "zh") -> str:
        """The word of one of its codes in a language; the code itself when unknown."""
        ...


def blank(value: object) -> bool:
    """Nothing answered: None, '' or an empty list (False and 0 are answers)."""
    return value is None or value == "" or value == [] or value == ()


def waiting(record: dict[str, Any], key: str) -> bool:
    """Is ``key`` still blank on ``record`` because an import had no column for it?"""
    return key in (record.get(PENDING) or ()) and blank(record.get(key))


def pending_text(lang: str = "zh") -> str:
    """待核实 (To verify): the cell of a value an import left to verify."""
    return gettext(PENDING_WORD, lang)


def relation_pending(person: dict[str, Any]) -> bool:
    """Is this member's relation to the head still to verify (an import had no column)?"""
    return "relation" in (person.get(PENDING) or ())


def head_name_text(name: object, unconfirmed: bool, lang: str = "zh") -> str:
    """The name that stands for a household's head. While the relations wait (待核实),
    nobody is known to be the head: the first member is named, marked as not confirmed
    (户主00（待核实）), rather than a blank or a guess shown as fact."""
    text = "" if blank(name) else str(name)
    return gettext(HEAD_PENDING, lang, name=text) if text and unconfirmed else text


def list_separator(lang: str) -> str:
    """What joins the entries of a list: 、 in Chinese, a comma in English."""
    return SEPARATORS.get(lang, SEPARATORS["zh"])


def yes_no(value: object, lang: str = "zh") -> str:
    """是 or 否 (Yes or No in English)."""
    return gettext(YES if value else NO, lang)


def timestamp_text(value: object) -> str:
    """An ISO timestamp to the minute, as staff read it: 2026-11-27 08:57."""
    return str(value or "").replace("T", " ")[:16]


def geopoint_text(value: str, lang: str = "zh") -> str:
    """A location as ODK keeps it ("lat lon alt accuracy") as people read it: 纬度 39.904200，
    经度 116.407400（精度 ±12 米）; any other text as it is."""
    parts = value.split()
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return value
    if len(numbers) < 2:
        return value
    lat, lon = numbers[0], numbers[1]
    accuracy = numbers[3] if len(numbers) >= 4 else None
    text = gettext(LOCATION, lang, lat=f"{lat:.6f}", lon=f"{lon:.6f}")
    if accuracy is None:
        return text
    return text + gettext(ACCURACY, lang, accuracy=f"{accuracy:.0f}")


def value_text(
    field: Field | None,
    value: object,
    lang: str = "zh",
    *,
    masked: bool = True,
    mask_phones: bool = False,
    empty: str = "",
    sep: str | None = None,
) -> str:
    """One stored value as text: code words, 是/否, lists joined, ID numbers masked.

    ``masked=False`` shows ID numbers whole (an admin asked; the caller logs it);
    ``mask_phones`` hides the middle of phone numbers as printouts do; ``empty`` is what
    nothing answered shows ("—" on a page); ``sep`` joins a list (by default 、 or ", ").
    """
    if blank(value):
        return empty
    key = field.key if field is not None else ""
    kind = field.type if field is not None else ""
    if kind == "id_number" or key in ID_KEYS:
        return mask_id(str(value)) if masked else str(value)
    if mask_phones and (kind == "phone" or key.endswith("phone")):
        return mask_phone(str(value))
    if isinstance(value, bool) or kind == "yes_no":
        return yes_no(value, lang)
    if kind == "geopoint":
        return geopoint_text(str(value), lang)
    coded = field is not None and bool(field.choices or kind in SELECT_TYPES)
    if isinstance(value, list | tuple):
        return (sep or list_separator(lang)).join(_word(field, v, lang, coded) for v in value)
    return _word(field, value, lang, coded)


def _word(field: Field | None, value: object, lang: str, coded: bool) -> str:
    return field.word(str(value), lang) if coded and field is not None else str(value)

"""conform's glance (a record already in shape is passed without a copy) says exactly what
the whole conforming says: the same None for records in shape, the same record otherwise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from census.surveys.conform import TEXT_META, _conformed, conform
from census.surveys.definition import load_surveys

FORMS = load_surveys()
KINDS = ["Cc", "Cs", "Zs", "Lo", "Ll", "Nd", "Po"]
TEXT = st.text(alphabet=st.characters(categories=KINDS), max_size=6)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=False), TEXT
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=2)),
    max_leaves=6,
)


def _keys(fields):
    for f in fields:
        yield f.key
        yield from _keys(f.fields)


@st.composite
def records(draw):
    form = FORMS[draw(st.sampled_from(sorted(FORMS)))]
    keys = sorted(set(_keys(form.fields)) | set(TEXT_META) | {"merged_from", "id"})
    doc = {}
    for key in draw(st.lists(st.sampled_from(keys), max_size=12, unique=True)):
        doc[key] = draw(VALUE)
    repeats = [f for f in form.fields if f.type == "repeat"]
    if repeats and draw(st.booleans()):  # a roster of rows, some of them in shape
        rows = draw(
            st.lists(
                st.dictionaries(
                    st.sampled_from(sorted(set(_keys(repeats[0].fields)))), SCALAR, max_size=4
                ),
                max_size=3,
            )
        )
        doc[repeats[0].key] = rows
    return form, doc


@settings(max_examples=400, deadline=None)
@given(records())
def test_the_glance_and_the_whole_conforming_agree(case):
    form, doc = case
    assert conform(form, doc) == _conformed(form, doc)


def test_a_stored_record_in_shape_is_passed_at_a_glance():
    from tests.factories import make_household

    form = FORMS["household"]
    doc = make_household(members=3) | {
        "id": 1,
        "_rev": 2,
        "uuid": "u-1",
        "review_state": "submitted",
    }
    assert conform(form, doc) is None
    assert conform(form, doc | {"notes": "第一行\n第二行"}) is None  # kept: a line break is text
    assert conform(form, doc | {"notes": 12})["notes"] == "12"
    members = [dict(m) for m in doc["members"]]
    members[1]["name"] = "张\x00三"
    assert conform(form, doc | {"members": members})["members"][1]["name"] == "张\ufffd三"


def test_a_value_orjson_cannot_write_is_still_shown_as_text():
    from census.surveys.conform import as_text

    assert as_text(["甲", "x\ud800"]) == '["甲", "x\ufffd"]'
    assert as_text({"n": 2**70}) == '{"n": 1180591620717411303424}'

"""The corpus of realistic XLSForms (tests/surveys/xlsforms): what pyxform takes, we take.

Each form is given to pyxform's own converter and to ours. Every form pyxform accepts is
accepted here too, except a repeat inside a repeat (refused at its cell, named below);
a submission validates on the server with the values its calculations must come to, and
the form's note shows its fills — on the form page, the record's page and in the export.
Before this corpus was read as it is now, the app accepted none of its 12 forms.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from census.surveys.definition import parse_definition
from census.surveys.validate import clean, has_errors
from census.surveys.xlsform import XLSFormError, translate
from tests.surveys.test_nested_and_photos import data_url, jpeg_with_gps
from tests.surveys.xlsforms import CORPUS, Corpus
from tests.web.worklog_helpers import post_form

TODAY = date(2026, 3, 15)
# The forms pyxform accepts and we refuse, each with the reason at its cell (the nested
# roster, once refused at A4, is accepted: tests/surveys/test_nested_and_photos.py).
NOT_YET: dict[str, tuple[str, str]] = {}
# What a form's answers need beyond the corpus' text: a photo for a required photo question.
PHOTO = {"storefront_photos": {"sign": data_url(jpeg_with_gps())}}


def answers_of(corpus: Corpus) -> dict:
    return corpus.answers | PHOTO.get(corpus.name, {})


def pyxform_accepts(corpus: Corpus) -> bool:
    try:
        book = get_xlsform(corpus.workbook(), file_type=corpus.suffix)
        workbook_to_json(book, form_name="x", fallback_form_name="x", warnings=[])
    except PyXFormError:
        return False
    return True


def ours(corpus: Corpus):
    translation = translate(corpus.workbook(), name=corpus.name, suffix=corpus.suffix)
    definition = dict(translation.definition, collection=f"survey_{corpus.name}")
    return translation, parse_definition(definition, f"{corpus.name}{corpus.suffix}")


def test_the_corpus_has_the_forms_it_should():
    assert 8 <= len(CORPUS) <= 12
    assert any(c.suffix == ".xls" for c in CORPUS)
    assert len({c.name for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("corpus", CORPUS, ids=[c.name for c in CORPUS])
def test_what_pyxform_accepts_we_accept(corpus):
    assert pyxform_accepts(corpus)
    if corpus.name in NOT_YET:
        with pytest.raises(XLSFormError) as refused:
            ours(corpus)
        code, cell = NOT_YET[corpus.name]
        assert [(p.code, p.cell) for p in refused.value.problems] == [(code, cell)]
        return
    translation, form = ours(corpus)
    assert form.fields
    for note in translation.notes:  # each note says where and what, in both languages
        assert note.message("zh") and note.message("en") and note.where("en")


def test_acceptance_counted_over_the_corpus():
    theirs = sum(pyxform_accepts(c) for c in CORPUS)
    accepted = 0
    for corpus in CORPUS:
        try:
            ours(corpus)
            accepted += 1
        except XLSFormError:
            pass
    assert (theirs, accepted) == (12, 12)


# Forms with answers to save (the nested roster brings none of its own).
ANSWERED = [c for c in CORPUS if c.name not in NOT_YET and c.note != ("", "")]


@pytest.mark.parametrize("corpus", ANSWERED, ids=[c.name for c in ANSWERED])
def test_a_submission_validates_with_its_calculations_worked_out(corpus):
    _translation, form = ours(corpus)
    record, problems = clean(form, answers_of(corpus), today=TODAY)
    assert not has_errors(problems), [(p.path, p.message()) for p in problems]
    for key, value in corpus.calculated.items():
        assert record[key] == value, key
    key, text = corpus.note
    assert form.field(key).filled("zh", record) == text


def test_the_calculations_refuse_and_require_as_the_forms_say():
    from tests.surveys.xlsforms import HEALTH_VISIT, VACCINATION

    _t, visit = ours(HEALTH_VISIT)
    early = dict(HEALTH_VISIT.answers, recheck="2026-03-01", temperature="45")
    _record, problems = clean(visit, early, today=TODAY)
    found = {p.path: p.message() for p in problems}
    # the form's own constraint messages (a form in one language: the same in English)
    assert found == {"temperature": "体温应在 34 到 43 之间", "recheck": "复诊日期不能早于随访日期"}
    _t, check = ours(VACCINATION)
    _record, problems = clean(check, dict(VACCINATION.answers, doses=[]), today=TODAY)
    assert [(p.path, p.code) for p in problems] == [("doses", "required")]  # card seen
    record, problems = clean(check, dict(VACCINATION.answers, card="no", doses=[]), today=TODAY)
    assert not problems and record["mmr_due"] == "yes"


def test_a_street_follows_its_district_on_both_sides():
    from tests.surveys.xlsforms import RENTAL

    _t, form = ours(RENTAL)
    street = form.field("street")
    assert street.choice_attrs["market"] == {"district": "west"}
    _record, problems = clean(form, dict(RENTAL.answers, street="lane1"), today=TODAY)
    assert [(p.path, p.code) for p in problems] == [("street", "choice_invalid")]
    offered = [
        code for code, _label in street.options() if street.offered(code, {"district": "east"})
    ]
    assert offered == ["lane1", "lane2"]


def test_each_form_works_on_the_web_from_upload_to_export(app, store, client, auth):
    from tests.web.test_custom_surveys import upload

    auth.login("admin")
    for corpus in ANSWERED:
        filename = f"{corpus.name}{corpus.suffix}"
        response = upload(client, corpus.workbook(), filename)
        assert response.status_code in (200, 302), corpus.name  # 200: with its notes shown
        if corpus.name == "storefront_photos":
            notes = response.get_data(as_text=True)
            assert "survey 表第 4 行 type 列（A4）：录音题暂不支持" in notes  # the photo is taken
        defn = app.extensions["census"].surveys[corpus.name]
        page = client.get(f"/survey/{corpus.name}/new").get_data(as_text=True)
        key, text = corpus.note
        template = defn.field(key).text("zh")
        assert f'data-fill="{template}"' in page, corpus.name
        if corpus.name == "rental_check":  # each street says its district to forms.js
            assert (
                "data-choice-filter=" in page and "&#34;__c_district&#34;: &#34;west&#34;" in page
            )
        saved = post_form(client, defn, answers_of(corpus))
        assert saved.status_code == 302, (corpus.name, saved.get_data(as_text=True)[-3000:])
        (record,) = store.collection(defn.collection).scan()
        expected, _problems = clean(defn, answers_of(corpus))  # today's date: ages move on
        for name in corpus.calculated:
            assert record[name] == expected[name], (corpus.name, name)
        text = defn.field(key).filled("zh", expected)
        edit = client.get(f"/survey/{corpus.name}/{record['id']}/edit").get_data(as_text=True)
        assert re.search(rf'data-fill="[^"]*">{re.escape(text)}</span>', edit), corpus.name
        shown = client.get(f"/worklog/{corpus.name}/{record['id']}").get_data(as_text=True)
        assert shown.count("<dt>") >= 3, corpus.name
        book = load_workbook(io.BytesIO(client.get(f"/worklog/{corpus.name}.xlsx").data))
        assert len(list(book.active.iter_rows(values_only=True))) >= 2, corpus.name
    from census.surveys import custom

    kept = custom.load(app.config["DATA_DIR"])  # as a restart reads them back
    assert sorted(kept) == sorted(c.name for c in ANSWERED)
    assert kept["rental_check"].field("street").choice_attrs["market"] == {"district": "west"}
    roster = app.extensions["census"].surveys["household_roster"]
    (record,) = store.collection(roster.collection).scan()
    shown = client.get(f"/worklog/household_roster/{record['id']}").get_data(as_text=True)
    assert "纬度 43.825592，经度 87.616848（精度 ±12 米）" in shown
    assert "小明 的年龄：3" in shown  # a roster label filled with its member's name

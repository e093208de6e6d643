"""The survey forms' widgets (census/surveys/widgets.py) draw WTForms' own HTML."""

from __future__ import annotations

import pytest
from wtforms.widgets import core

from census.surveys import widgets
from census.surveys.wtf import form_class, record_to_formdata
from census.web.helpers import surveys
from tests.factories import make_household

STOCK = {
    widgets.TextInput: core.TextInput(),
    widgets.TextArea: core.TextArea(),
    widgets.Select: core.Select(),
    widgets.CheckboxInput: core.CheckboxInput(),
    widgets.RadioInput: core.RadioInput(),
}


def leaves(field):
    """Every field of a form, into its repeats' entries and their own repeats."""
    if hasattr(field, "entries"):  # a FieldList
        for entry in field.entries:
            yield from leaves(entry)
    elif hasattr(field, "form") and hasattr(field.form, "_fields"):  # a FormField
        for inner in field.form:
            yield from leaves(inner)
    else:
        yield field


def stock_html(field, **kwargs):
    """The field drawn with WTForms' own widgets instead (its render_kw as ``field()`` adds)."""
    ours = field.widget, getattr(field, "option_widget", None)
    if isinstance(field.widget, widgets.ListWidget):
        field.widget = core.ListWidget(prefix_label=field.widget.prefix_label)
        field.option_widget = STOCK[type(ours[1])]
    else:
        field.widget = STOCK[type(field.widget)]
    try:
        return field(**kwargs)
    finally:
        field.widget = ours[0]
        if ours[1] is not None:
            field.option_widget = ours[1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_field_of_every_form_is_drawn_as_wtforms_draws_it(app, lang):
    household = make_household(members=4, hardship=["low_income"], notes='三楼 "西" <户> & 2')
    household["members"][1].update(conditions=["disability", "veteran"], name="李<秀>兰")
    drawn = 0
    with app.test_request_context():
        for defn in surveys().values():
            record = household if defn.name == "household" else {}
            form = form_class(defn, lang)(data=record_to_formdata(defn, record))
            for field in (leaf for top in form for leaf in leaves(top)):
                if not isinstance(field.widget, tuple(STOCK) + (widgets.ListWidget,)):
                    continue  # the CSRF token: WTForms' own widget
                for kwargs in ({}, {"aria-invalid": "true", "aria-describedby": "x-msg"}):
                    ours = str(field(**kwargs))
                    assert ours == str(stock_html(field, **kwargs)), field.name
                    assert str(field(**kwargs)) == ours  # the second time, from what was kept
                drawn += 1
    assert drawn > 100


def test_html_params_escapes_as_wtforms_does():
    given = {"value": 'a"b<c>&', "data_key": "x", "readonly": True, "hidden": False, "n": 3}
    assert widgets.html_params(**given) == core.html_params(**given)

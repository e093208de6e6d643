"""An admin adds a survey from an XLSForm or a YAML file; it works at once as a built-in one:
form, list, register, export, print and the offline checks. What it cannot do is refused."""

from __future__ import annotations

import io
import json
import re

import yaml
from openpyxl import load_workbook
from pypdf import PdfReader

from census.app import create_app
from census.services import audit
from census.web.current import get_store
from tests.conftest import csrf_token
from tests.surveys.xlsform_files import ROSTER, xlsform
from tests.web.worklog_helpers import post_form

FAMILY = {
    "address": "3栋2单元301",
    "housing": "rented",
    "landlord": "周房东",
    "size": "3",
    "phone": "13912345678",
    "people": [
        {"pname": "王芳", "psex": "f", "age": "67", "needs": ["meals", "doctor"]},
        {"pname": "王小明", "psex": "m", "age": "9"},
    ],
}


def upload(client, data, filename="roster.xlsx", **fields):
    token = csrf_token(client, "/admin/surveys/")
    body = {"csrf_token": token, "file": (io.BytesIO(data), filename)} | fields
    return client.post("/admin/surveys/", data=body, content_type="multipart/form-data")


def test_an_xlsform_roster_becomes_a_working_survey(app, store, client, auth):
    auth.login("admin")
    response = upload(client, xlsform())
    assert response.status_code == 302
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-survey="roster"' in listing and "家庭情况调查" in listing
    assert audit.entries(store, action="survey_add")[0]["target"] == "surveys/roster"
    # Its own form, in both languages, with the rules the tablet checks offline.
    form = client.get("/survey/roster/new").get_data(as_text=True)
    assert "家庭成员" in form and "服务需求" in form and "上门医疗" in form
    assert "Household size" in client.get("/survey/roster/new?lang=en").get_data(as_text=True)
    client.get("/survey/roster/new?lang=zh")
    rules = json.loads(re.search(r'id="census-checks">(.*?)</script>', form, re.S).group(1))
    size = next(f for f in rules["fields"] if f["key"] == "size")
    assert (size["min"], size["max"], size["required"]) == (1, 20, True)
    landlord = next(f for f in rules["fields"] if f["key"] == "landlord")
    assert landlord["relevant"] == {
        "op": "==",
        "args": [{"var": "housing"}, {"const": "rented"}],
    }
    # Filled and saved through the form: stored, listed, registered, exported, printed.
    defn = app.extensions["census"].surveys["roster"]
    saved = post_form(client, defn, FAMILY)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    (record,) = store.collection("survey_roster").scan()
    assert record["size"] == 3 and record["landlord"] == "周房东"
    assert record["people"][0]["needs"] == ["meals", "doctor"]
    assert record["people"][1]["needs"] == []  # under 60: not asked
    assert "3栋2单元301" in client.get("/records/roster").get_data(as_text=True)
    register = client.get("/worklog/roster").get_data(as_text=True)
    assert "家庭情况调查台账" in register and "租住" in register
    assert "王芳（女，67，助餐、上门医疗）；王小明（男，9）" in register
    book = load_workbook(io.BytesIO(client.get("/worklog/roster.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("住址", "住房性质", "房东姓名", "家庭人数")
    assert rows[1][:4] == ("3栋2单元301", "租住", "周房东", 3)
    pdf = PdfReader(io.BytesIO(client.get("/worklog/roster.pdf").data))
    assert "家庭情况调查台账" in pdf.pages[0].extract_text()
    assert client.get("/worklog/").get_data(as_text=True).count('data-register="roster"') == 1


def test_the_uploaded_rules_refuse_what_the_xlsform_forbids(app, store, client, auth):
    auth.login("admin")
    upload(client, xlsform())
    defn = app.extensions["census"].surveys["roster"]
    wrong = dict(FAMILY, landlord="", size="25")
    wrong["people"] = [{"pname": "王芳", "psex": "f", "age": "150"}]
    response = post_form(client, defn, wrong)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(store.collection("survey_roster")) == 0
    assert 'data-error-for="landlord">必填项' in html
    assert 'data-error-for="size">不能大于 20' in html
    assert 'data-error-for="people-0-age">不能大于 120' in html


def test_an_xlsform_with_unsupported_features_is_refused_with_rows_named(app, client, auth):
    auth.login("admin")
    rows = list(ROSTER)
    # sheet row 15: a function we do not have; row 6: a fourth repeat inside repeats (a
    # repeat inside a repeat is taken now, three levels deep at most)
    rows.insert(
        4,
        ("text", "pick", "抽签", "Pick", "", "", "", "", "pulldata('p', 'rent', 'code', 1) > 0.5"),
    )
    for n, name in enumerate(("outer", "inner", "third", "fourth")):
        rows.insert(1 + n, ("begin_repeat", name, name, name.title()))
    rows.insert(5, ("text", "deep", "内", "Deep"))
    for n in range(4):
        rows.insert(6 + n, ("end_repeat",))
    response = upload(client, xlsform(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(
        r'data-row="6" data-column="type"><td>A6</td>.*?重复组嵌套超过 3 层', html, re.S
    )
    assert re.search(r'data-row="15" data-column="relevant"><td>I15</td>.*?pulldata', html, re.S)
    assert "roster" not in app.extensions["census"].surveys
    assert client.get("/survey/roster/new").status_code == 404
    from census.surveys.custom import folder

    assert not folder(app.config["DATA_DIR"]).exists() or not any(
        folder(app.config["DATA_DIR"]).glob("*.yaml")
    )


def test_a_survey_added_is_there_after_a_restart(tmp_path):
    config = {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "s", "TESTING": True}
    first = create_app(config | {"FSYNC": False})
    from census.surveys import custom

    added = custom.add(first.extensions["census"], "roster.xlsx", xlsform())
    assert added.form is not None and not added.problems
    get_store(first).close()
    again = create_app(config | {"FSYNC": False})
    try:
        form = again.extensions["census"].surveys["roster"]
        assert form.collection == "survey_roster"
        assert form.field("housing").options("zh") == [("owned", "自有"), ("rented", "租住")]
        assert custom.names(again.extensions["census"]) == {"roster"}
    finally:
        get_store(again).close()


def test_a_yaml_definition_is_added_replaced_and_removed(app, store, client, auth):
    auth.login("admin")
    definition = {
        "form": "pets",
        "title": {"zh": "犬只登记", "en": "Dog register"},
        "choices": {"size": {"small": "小型犬", "large": {"zh": "大型犬", "en": "Large"}}},
        "fields": [
            {
                "key": "owner",
                "type": "text",
                "ref": "household",
                "label": "户编号",
                "required": True,
            },
            {"key": "dog_size", "type": "select_one", "choices": "size", "label": "体型"},
            {"key": "vaccinated", "type": "yes_no", "label": "已免疫"},
        ],
    }
    text = yaml.safe_dump(definition, allow_unicode=True).encode()
    assert upload(client, text, "pets.yaml").status_code == 302
    page = client.get("/survey/pets/new").get_data(as_text=True)
    assert "大型犬" in page and "已免疫" in page
    again = upload(client, text, "pets.yaml")
    assert again.status_code == 422 and "替换同名问卷" in again.get_data(as_text=True)
    definition["title"]["zh"] = "犬只登记（新）"
    text = yaml.safe_dump(definition, allow_unicode=True).encode()
    assert upload(client, text, "pets.yaml", replace="1").status_code == 302
    assert app.extensions["census"].surveys["pets"].text("zh") == "犬只登记（新）"
    download = client.get("/admin/surveys/pets/definition.yaml")
    assert yaml.safe_load(download.data)["title"]["zh"] == "犬只登记（新）"
    token = csrf_token(client, "/admin/surveys/")
    client.post("/admin/surveys/pets/remove", data={"csrf_token": token})
    assert "pets" not in app.extensions["census"].surveys
    assert client.get("/survey/pets/new").status_code == 404


def test_names_of_built_in_forms_and_bad_definitions_are_refused(app, client, auth):
    auth.login("admin")
    refused = upload(client, xlsform(), name="visit")
    assert refused.status_code == 422 and "visit" in refused.get_data(as_text=True)
    bad = yaml.safe_dump({"form": "x_y", "fields": [{"key": "a", "type": "photo"}]}).encode()
    page = upload(client, bad, "x.yaml").get_data(as_text=True)
    assert "type “photo” is not one of" in page
    assert upload(client, b"hello", "notes.txt").status_code == 422


def test_only_admins_manage_surveys(client, auth):
    auth.login("reviewer")
    assert client.get("/admin/surveys/").status_code == 403


def test_a_survey_code_comes_from_the_form_id_or_else_the_file_name(app):
    from census.surveys import custom

    added = custom.add(
        app.extensions["census"], "roster.xlsx", xlsform(settings={"form_id": "Household-Roster"})
    )
    assert added.form.name == "household_roster"
    added = custom.add(
        app.extensions["census"], "老年人需求.xlsx", xlsform(settings={"form_id": "老年人需求"})
    )
    assert added.form is None and "code" in added.problems[0].message("en")
    added = custom.add(
        app.extensions["census"],
        "elderly_needs.xlsx",
        xlsform(settings={"form_title": "老年人需求"}),
    )
    assert added.form.name == "elderly_needs" and added.form.text("zh") == "老年人需求"

"""Forms are data: a field added to forms/household.yaml shows on every page and output.

A copy of the forms folder gets a member field (微信号, text) and a household field (车位, a
select_one from a list of the form's own, marked for the household list). An app on that
folder saves a household through the web form; both answers are then found, label and
value, on the household page (Chinese and English), in the household list, on the life-event
pages, on the household card (the PDF read back), in the export workbook and in the import
template. No Python names the new fields.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from pypdf import PdfReader

from census.app import create_app
from census.services.accounts import add_user
from census.util.resources import FORMS_DIR
from census.web.current import get_store
from census.web.prints import runner
from tests.conftest import FAST_HASH, Auth, csrf_token
from tests.factories import form_fields, make_household

WECHAT = {"key": "wechat", "type": "text", "label": {"zh": "微信号", "en": "WeChat ID"}}
PARKING = {
    "key": "parking",
    "type": "select_one",
    "choices": "parking",
    "label": {"zh": "车位", "en": "Parking"},
}
PARKING_LIST = {
    "none": {"zh": "无车位", "en": "No space"},
    "underground": {"zh": "地下车位", "en": "Underground space"},
}


def extended_forms(folder: Path) -> Path:
    """The standard forms with 微信号 on every member and 车位 on the household (listed)."""
    shutil.copytree(FORMS_DIR, folder)
    path = folder / "household.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    keys = [f["key"] for f in raw["fields"]]
    raw["fields"].insert(keys.index("hardship") + 1, PARKING)
    roster = next(f for f in raw["fields"] if f["type"] == "repeat")
    subkeys = [f["key"] for f in roster["fields"]]
    roster["fields"].insert(subkeys.index("phone") + 1, WECHAT)
    raw["choices"] = {"parking": PARKING_LIST}
    raw["list"].append("parking")  # the household list shows it too
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture
def app(tmp_path):
    """An app on the extended forms folder and its own data folder; prints in this thread."""
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "FORMS_DIR": str(extended_forms(tmp_path / "forms")),
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "FSYNC": False,
            "COMMUNITY_NAME": "佐斯腾社区",
            "PRINT_WORKERS": 0,
        }
    )
    store = get_store(app)
    store.collection("buildings").insert({"name": "1栋", "grid": "第一网格", "type": "residential"})
    add_user(store, "admin", "admin", "secret-pass-1", hash_method=FAST_HASH)
    yield app
    store.close()


def flat(text: str) -> str:
    """PDF text without the line breaks and spaces the layout puts between characters."""
    return re.sub(r"\s+", "", text)


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def test_a_field_added_to_the_form_shows_everywhere(app):
    client = app.test_client()
    Auth(client).login("admin")
    store = get_store(app)
    household = make_household(parking="underground")
    household["members"][0]["wechat"] = "zhangjianguo_68"
    url = "/survey/household/new?building=1栋"
    saved = post(client, url, **form_fields(household), save="1")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    (stored,) = store.collection("households").scan()
    assert stored["parking"] == "underground"
    assert stored["members"][0]["wechat"] == "zhangjianguo_68"
    hid = stored["id"]

    # The household page, in both languages.
    page = client.get(f"/households/{hid}").get_data(as_text=True)
    for text in ("车位", "地下车位", "微信号", "zhangjianguo_68"):
        assert text in page, text
    assert stored["members"][0]["id_number"] not in page  # still masked
    english = client.get(f"/households/{hid}?lang=en").get_data(as_text=True)
    for text in ("Parking", "Underground space", "WeChat ID", "zhangjianguo_68"):
        assert text in english, text
    client.get("/households?lang=zh")

    # The household list: 车位 is one of its columns.
    listing = client.get("/households").get_data(as_text=True)
    assert "<th>车位</th>" in listing and "地下车位" in listing
    assert "微信号" not in listing  # not marked for the list

    # The life-event pages ask for the member field and keep it.
    move_in = f"/households/{hid}/events/move_in"
    assert 'name="p-wechat"' in client.get(move_in).get_data(as_text=True)
    assert "微信号" in client.get("/events/move-in").get_data(as_text=True)
    refused = post(client, move_in, on="2025-03-01", _rev=str(stored["_rev"]), **{
        "p-relation": "other_relative", "p-wechat": "liu_newcomer"
    })  # fmt: skip
    assert refused.status_code == 200
    assert 'value="liu_newcomer"' in refused.get_data(as_text=True)
    person = {"p-name": "刘新", "p-relation": "other_relative", "p-sex": "male"}
    person |= {"p-birth_date": "1990-02-02", "p-id_type": "other", "p-wechat": "liu_newcomer"}
    moved = post(client, move_in, on="2025-03-01", _rev=str(stored["_rev"]), **person)
    assert moved.status_code == 302, moved.get_data(as_text=True)
    newcomer = store.collection("households").get(hid)["members"][-1]
    assert (newcomer["name"], newcomer["wechat"]) == ("刘新", "liu_newcomer")
    assert "liu_newcomer" in client.get(f"/households/{hid}").get_data(as_text=True)

    # The household card, read back from the PDF.
    job = post(client, "/prints/", target="household-cards", building="1栋", as_of="2025-09-01")
    assert job.status_code == 302, job.get_data(as_text=True)
    job_id = job.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert runner(app).wait(job_id).state == "done"
    response = client.get(f"/prints/{job_id}/download")
    card = flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages))
    response.close()
    for text in ("车位", "地下车位", "微信号", "zhangjianguo_68", "liu_newcomer"):
        assert text in card, text

    # The export workbook: 车位 on the 住户 sheet, 微信号 on the 成员 sheet, as words.
    book = load_workbook(io.BytesIO(client.get("/sheets/export.xlsx").data))
    houses = list(book["住户"].iter_rows(values_only=True))
    column = houses[0].index("车位")
    assert houses[1][column] == "地下车位"
    people = list(book["成员"].iter_rows(values_only=True))
    column = people[0].index("微信号")
    assert [row[column] for row in people[1:]] == ["zhangjianguo_68", None, None, "liu_newcomer"]

    # The import template has both columns, and its notes the words 车位 takes.
    template = load_workbook(io.BytesIO(client.get("/sheets/template/household.xlsx").data))
    headers = next(template.worksheets[0].iter_rows(values_only=True))
    assert "车位" in headers and "微信号" in headers
    notes = {row[0]: row[2] for row in template["填表说明"].iter_rows(values_only=True) if row}
    assert notes["车位"] == "无车位、地下车位"

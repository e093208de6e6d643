"""A dwelling typed "3单元" / "101室" is stored once and shown one way on every page and print."""

from __future__ import annotations

import io
import re
import uuid

from pypdf import PdfReader

from census.services.accounts import create_token
from tests.factories import make_household


def test_a_dwelling_typed_with_its_words_shows_one_way_everywhere(app, client, auth, store):
    token = create_token(store, "admin")
    body = make_household(unit="3单元", room="101室") | {"uuid": str(uuid.uuid4())}
    answer = client.post(
        "/api/v1/households", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.get_json()
    stored = store.collection("households").get(answer.get_json()["id"])
    assert (stored["unit"], stored["room"]) == ("3", "101")
    auth.login("admin")
    for url in ("/households", f"/households/{stored['id']}", "/review/?state=approved"):
        page = client.get(url).get_data(as_text=True)
        assert "1栋3单元101室" in page, url
        assert "单元单元" not in page and "室室" not in page, url
    pdf = client.get("/buildings/1栋/household-list.pdf")
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "3单元101室" in re.sub(r"\s+", "", text)

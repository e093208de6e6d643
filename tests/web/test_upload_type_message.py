"""The upload page's word for a question type it does not take names what it does take.

It said "groups and one repeat" long after several repeats and repeats inside repeats (three
levels deep) were taken; it lists the types staff surveys read now.
"""

from __future__ import annotations

import re

from tests.surveys.xlsform_files import ROSTER, xlsform
from tests.web.test_custom_surveys import upload


def test_an_unknown_type_is_refused_with_the_types_and_repeats_that_work(client, auth):
    auth.login("admin")
    rows = list(ROSTER)
    rows.insert(2, ("signature", "sign", "签名", "Signature"))
    for lang, words in (("zh", "重复组可以有多个，也可以嵌套，最多 3 层"),
                        ("en", "repeats inside repeats up to 3 levels deep")):  # fmt: skip
        client.get(f"/admin/surveys/?lang={lang}")  # the language chosen stays
        answer = upload(client, xlsform(rows))
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422
        row = re.search(r'data-row="4" data-column="type">(.*?)</tr>', html, re.S).group(1)
        assert "signature" in row and words in row and "geopoint" in row and "image" in row
        assert "one repeat" not in html and "只能有一个重复组" not in html

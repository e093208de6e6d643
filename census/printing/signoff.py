"""The sign-off block under a printed list or register: 制表人、审核人、日期.

Paper registers are signed once, where the table ends: the person who made the table
writes or prints their name, the reviewer signs by hand, and the date says which state of
the records the paper shows. Each building's household list and each register is a table
of its own (its pages numbered on their own), so each ends with its own block.

The words come from the one message catalogue (``census.util.i18n``), read by language,
as prints are rendered away from any web request.
"""

from __future__ import annotations

from datetime import date, datetime

from census.util.i18n import NC_, gettext

BLANK = "________"  # a line to sign on
# Between the three parts: two ideographic spaces, four spaces in English.
GAP = NC_("between sign-off parts", "\u3000\u3000")


def signoff_line(prepared_by: str, printed_on: date | datetime, lang: str = "zh") -> str:
    """制表人：王芳　审核人：________　日期：2026-12-02 (blank for a handwritten name)."""
    day = printed_on.date() if isinstance(printed_on, datetime) else printed_on
    parts = (
        gettext("制表人：%(name)s", lang) % {"name": prepared_by.strip() or BLANK},
        gettext("审核人：%(name)s", lang) % {"name": BLANK},
        gettext("日期：%(date)s", lang) % {"date": day.isoformat()},
    )
    return gettext(GAP, lang).join(parts)

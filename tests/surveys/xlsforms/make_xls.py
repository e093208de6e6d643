"""Write household.xls from the OLD_EXCEL form of this corpus (needs xlwt).

The .xls is kept in the repository, so the tests need no writer of old Excel files; run
this again (``pip install xlwt`` first) only to change that form.
"""

from __future__ import annotations

import xlwt  # type: ignore[import-not-found]

from tests.surveys.xlsforms import OLD_EXCEL, XLS


def main() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    for title, rows in (("survey", OLD_EXCEL.survey), ("settings", OLD_EXCEL.settings)):
        sheet = book.add_sheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    book.save(str(XLS))


if __name__ == "__main__":
    main()

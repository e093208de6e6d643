"""Excel/CSV import and export (docs/domain.md §7).

The pipeline, one small module a step::

    reader   file -> sheets of cell values (xlsx: fast reader, openpyxl as fallback; csv)
    layout   where the header is, which column is which field (vocabulary: labels + aliases)
    rows     data rows -> SourceRow values, each cell normalised (cells) or reported
    plan     rows -> households (or shops, units), validated (records.check_many),
             matched to the store (match), issues at sheet row and column (issues)
    apply    what the user confirms: new records in one batch (records.save_many),
             changes through records.save with the revision the plan saw
    report   the plan as lines, and as the uploaded workbook with a problems column
    export   the whole dataset as sheets that the importer reads back unchanged
    writer   write_xlsx / write_csv / export_rows, every text cell neutralised

Registers and other exports call ``write_xlsx(path_or_stream, {sheet: (headers, rows)})``
or ``export_rows(columns, rows, path)``.
"""

from __future__ import annotations

from census.sheets.writer import export_rows, neutralise, write_csv, write_xlsx

__all__ = ["export_rows", "neutralise", "write_csv", "write_xlsx"]

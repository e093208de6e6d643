"""XLSForm (.xlsx) -> our definition dict, read with pyxform: the pipeline of the survey forms.

1. pyxform reads the workbook (``get_xlsform``): every sheet as rows, empty rows kept, so
   a row's index gives its row number in the sheet.
2. Our checks on those rows: a type or a column the tool cannot do (an unknown type, a
   function we do not have) is a problem naming its sheet, row and column.
3. pyxform builds the JSON survey (``workbook_to_json``), with its own checks (unbalanced
   groups, unknown lists …): its errors are reported as they come, with their row.
4. The JSON survey becomes our definition: groups flattened (a group's ``relevant`` joins
   each of its questions'), repeats kept as repeats (several, and inside each other up
   to three levels), select lists kept with the survey, labels per
   language, ``${f} = 'x'`` skip logic in our expression language, constraints as the
   rules our forms check (min, max, max_length, pattern, past). What cannot be said in
   our terms is again a problem with its row and column.

A file with any problem is refused as a whole: a survey that half works is worse than
none. Things that change nothing about the data (an ``appearance``, a message column, a
comment column) are ignored and listed as notes.
"""

from census.surveys.xlsform.problems import XLSFormError, XLSFormProblem
from census.surveys.xlsform.translate import RESERVED_KEYS, Translation, row_of, translate

__all__ = ["RESERVED_KEYS", "Translation", "XLSFormError", "XLSFormProblem", "row_of", "translate"]

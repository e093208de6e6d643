"""Community work records (工作台账): registers, completion rates and the period work report.

The records themselves are surveys like any other (forms/visit.yaml … service_case.yaml,
and the surveys staff add): they are saved through ``census.services.records.save``. This package
lists them (``registers``), links them to households and persons (``links``), counts
them by period (``periods``, ``figures``) and writes the work report (``report``);
``store`` reads what those need from a store, ``printing`` makes the PDFs.
"""

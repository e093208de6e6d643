"""Export: the whole community to Excel and back without losing anything; no formula gets out."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sheet_files import SURVEYS, write_book

from census.demo.generate import generate_demo
from census.demo.seed import load_demo
from census.services.records import prepare_store
from census.services.review import submitter
from census.sheets.apply import apply_plan
from census.sheets.export import HOUSEHOLDS, PERSONS, STOREFRONTS, UNITS, dataset_sheets
from census.sheets.plan import NEW, UNCHANGED, UPDATE
from census.sheets.template import write_template
from census.sheets.wizard import plan_file
from census.sheets.writer import csv_bytes, export_rows, neutralise, write_csv, write_xlsx
from census.store import open_store

# Bookkeeping that an export does not carry: ids, timestamps, and the review trail.
NOT_EXPORTED = {
    "id",
    "_rev",
    "uuid",
    "submission_hash",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "reviewed_by",
    "reviewed_at",
    "merged_into",
    "merged_from",
    "merged_at",
}


def _same(doc):
    """What an export carries; 调查员 is who registered the record (a storefront or unit
    keeps no surveyor of its own: the export names its creator, and the import keeps that)."""
    kept = {k: v for k, v in doc.items() if k not in NOT_EXPORTED}
    return kept | {"surveyor": submitter(doc)}


@pytest.fixture(scope="module")
def community(tmp_path_factory):
    """A demo community in its own data folder, exported to an .xlsx once for the module."""
    folder = tmp_path_factory.mktemp("community")
    store = open_store(folder / "data", fsync=False)
    prepare_store(store)
    load_demo(store, generate_demo(households=60), SURVEYS)
    path = folder / "全部数据.xlsx"
    write_xlsx(path, dataset_sheets(store, SURVEYS))
    yield store, path
    store.close()


def test_the_export_has_four_sheets_with_chinese_headers_and_words(community):
    store, path = community
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == [HOUSEHOLDS, PERSONS, STOREFRONTS, UNITS]
    persons = list(book[PERSONS].iter_rows(values_only=True))
    header = persons[0]
    assert header[:4] == ("户编号", "楼栋/院落", "单元", "室/门牌号")
    assert {"姓名", "与户主关系", "证件号码", "民族", "人员类别", "特殊情况"} <= set(header)
    members = sum(len(h["members"]) for h in store.collection("households").scan())
    assert len(persons) == members + 1
    relation = header.index("与户主关系")
    assert {row[relation] for row in persons[1:]} <= {
        "户主", "配偶", "子女", "儿媳/女婿", "孙子女", "父母", "祖父母", "兄弟姐妹", "其他亲属",
        "非亲属/租户",
    }  # fmt: skip
    houses = list(book[HOUSEHOLDS].iter_rows(values_only=True))
    assert "所属网格" in houses[0] and len(houses) == len(store.collection("households")) + 1
    book.close()


def test_export_then_import_into_an_empty_store_is_lossless(community, tmp_path):
    source, path = community
    with open_store(tmp_path / "empty", fsync=False) as target:
        prepare_store(target)
        for name in ("household", "storefront", "unit"):
            plan, _sheets = plan_file(target, SURVEYS[name], path)
            assert plan.counts[NEW] == len(source.collection(SURVEYS[name].collection))
            assert not [i.message() for i in plan.all_issues() if i.is_error]
            apply_plan(target, plan, user="admin")
        for collection in ("households", "storefronts", "units"):
            before = {
                d.get("household_no") or d["name"]: _same(d)
                for d in source.collection(collection).scan()
            }
            after = {
                d.get("household_no") or d["name"]: _same(d)
                for d in target.collection(collection).scan()
            }
            assert after == before, collection
        grids = {b["name"]: b["grid"] for b in source.collection("buildings").scan()}
        assert {b["name"]: b["grid"] for b in target.collection("buildings").scan()} == grids


def test_the_export_read_back_into_its_own_store_changes_nothing(community):
    store, path = community
    for name in ("household", "storefront", "unit"):
        plan, _sheets = plan_file(store, SURVEYS[name], path)
        assert plan.counts[UNCHANGED] == len(store.collection(SURVEYS[name].collection))
        assert plan.counts[NEW] == plan.counts[UPDATE] == 0


def test_the_members_csv_reads_back_and_matches_its_households(community, tmp_path):
    store, _path = community
    data = csv_bytes(*dataset_sheets(store, SURVEYS)[PERSONS])
    assert data.startswith("\ufeff".encode())  # Excel needs the BOM to show Chinese
    path = tmp_path / "成员.csv"
    path.write_bytes(data)
    plan, _sheets = plan_file(store, SURVEYS["household"], path)
    assert plan.counts[UNCHANGED] == len(store.collection("households"))


DANGEROUS = ["=1+1", "+86 139", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", "'=quoted"]


def test_cells_that_would_run_as_formulas_are_neutralised(tmp_path):
    assert [neutralise(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]
    assert [neutralise(v) for v in ("张三", "0991-1234567", "'plain", 5, None)] == [
        "张三",
        "0991-1234567",
        "'plain",
        5,
        None,
    ]
    path = tmp_path / "x.xlsx"
    write_xlsx(path, {"S": (["备注"], [[v] for v in DANGEROUS])})
    book = load_workbook(path)
    cells = [row[0] for row in book["S"].iter_rows(min_row=2)]
    assert all(c.data_type == "s" and c.value.startswith("'") for c in cells)
    text = io.StringIO()
    write_csv(text, ["备注"], [[v] for v in DANGEROUS])
    values = [row[0] for row in csv.reader(io.StringIO(text.getvalue()))][1:]
    assert all(v.startswith("'") for v in values)


def test_an_injected_formula_survives_a_round_trip_as_plain_text(store, tmp_path):
    from census.services import records

    form = SURVEYS["unit"]
    raw = {"name": '=HYPERLINK("http://x")', "kind": "other", "address": "@地址", "contact": "-王"}
    assert records.save(store, form, raw, user="admin").saved
    path = tmp_path / "x.xlsx"
    write_xlsx(path, dataset_sheets(store, SURVEYS))
    units = list(load_workbook(path)[UNITS].iter_rows(values_only=True))
    assert units[1][0] == '\'=HYPERLINK("http://x")' and units[1][2] == "'@地址"
    plan, _sheets = plan_file(store, form, path)
    assert plan.counts[UNCHANGED] == 1


def test_export_rows_writes_any_register_as_xlsx_or_csv(tmp_path):
    columns = ["姓名", "出生日期", "标记"]
    rows = [["张三", "1990-01-02", True], ["=李四", None, ["a", "b"]]]
    export_rows(columns, rows, tmp_path / "r.xlsx", sheet="60岁以上老人")
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["60岁以上老人"]
    assert [list(r) for r in book.active.iter_rows(values_only=True)] == [
        columns,
        ["张三", "1990-01-02", "是"],
        ["'=李四", None, "a、b"],
    ]
    export_rows(columns, rows, tmp_path / "r.csv")
    text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["姓名,出生日期,标记", "张三,1990-01-02,是", "'=李四,,a、b"]


@pytest.mark.parametrize("name", ["household", "storefront", "unit"])
def test_the_template_has_the_headers_a_notes_sheet_and_an_example_that_imports(
    name, store, tmp_path
):
    path = tmp_path / f"{name}.xlsx"
    write_template(path, SURVEYS[name])
    book = load_workbook(path)
    assert book.sheetnames[1] == "填表说明"
    notes = "\n".join(
        str(c) for row in book["填表说明"].iter_rows(values_only=True) for c in row if c
    )
    assert "示例" in notes
    if name == "household":
        assert "户主、配偶、子女" in notes and "1990/1/2" in notes
        assert book.active["A1"].value == "户编号"
    # The example rows are marked and skipped: the template imports nothing as it is ...
    plan, _sheets = plan_file(store, SURVEYS[name], path)
    assert plan.counts[NEW] == 0, [i.message() for i in plan.all_issues()]
    examples = [i for i in plan.all_issues() if i.code == "example_row"]
    assert len(examples) == (2 if name == "household" else 1)
    assert examples[0].message().startswith("示例行，已跳过：")
    assert not [i for i in plan.all_issues() if i.level != "info"]
    # ... and the example with its mark taken off is a record that imports.
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=2, max_row=3):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.endswith("（示例）"):
                cell.value = cell.value.removesuffix("（示例）")
    book.save(path)
    plan, _sheets = plan_file(store, SURVEYS[name], path)
    assert plan.counts[NEW] == 1, [i.message() for i in plan.all_issues()]
    assert not [i for i in plan.all_issues() if i.level != "info"]


def test_every_code_column_of_the_template_has_a_drop_down_list(tmp_path):
    from census.sheets.template import LISTS_SHEET, template_columns
    from census.sheets.vocabulary import vocabulary

    path = tmp_path / "household.xlsx"
    write_template(path, SURVEYS["household"])
    book = load_workbook(path)
    sheet, lists = book.worksheets[0], book[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    headers = [c.value for c in sheet[1]]
    checks = {}
    for check in sheet.data_validations.dataValidation:
        for cells in check.sqref.ranges:
            checks[headers[cells.min_col - 1]] = check
    vocab = vocabulary(SURVEYS["household"])
    coded = [
        vocab.targets[k].text("zh")
        for k in template_columns(vocab)
        if vocab.targets[k].choices or vocab.targets[k].type == "yes_no"
    ]
    assert set(checks) == set(coded) and "住房性质" in coded and "民族" in coded

    def words(title):
        first, last = checks[title].formula1.split("!")[1].replace("$", "").split(":")
        return [c.value for row in lists[f"{first}:{last}"] for c in row]

    assert words("住房性质") == ["自有", "租住", "公租房", "其他"]
    assert len(words("民族")) == 58 and words("民族")[:2] == ["汉族", "蒙古族"]
    (cells,) = checks["住房性质"].sqref.ranges
    assert checks["住房性质"].type == "list" and (cells.min_row, cells.max_row) == (2, 1001)
    assert checks["住房性质"].showErrorMessage and not checks["特殊情况"].showErrorMessage


def test_a_report_workbook_keeps_every_row_and_adds_the_problems(store, tmp_path):
    from census.sheets.report import write_report

    rows = [
        ["花名册"],
        ["户编号", "楼栋", "室", "住房性质", "姓名", "与户主关系", "身份证号"],
        ["H1", "1栋", "101", "自有", "张三", "户主", "65010319680512029x"],
        ["H2", "1栋", "102", "自有", "李四", "户主", "650103196805120291"],
    ]
    path = write_book(tmp_path / "a.xlsx", {"花名册": rows})
    plan, sheets = plan_file(store, SURVEYS["household"], path)
    write_report(tmp_path / "report.xlsx", plan, sheets)
    book = load_workbook(tmp_path / "report.xlsx")
    assert book.sheetnames == ["导入报告", "花名册"]
    got = [list(r) for r in book["花名册"].iter_rows(values_only=True)]
    assert [r[:7] for r in got] == [r + [None] * (7 - len(r)) for r in rows]
    assert got[1][7:] == ["导入结果", "问题"]
    assert got[2][7] == "新增" and got[3][7] == "未导入"
    assert got[3][8].startswith("G列“身份证号”：居民身份证号码校验位错误")
    summary = [r[0] for r in book["导入报告"].iter_rows(values_only=True)]
    assert any("新增 1" in str(s) and "未导入 1" in str(s) for s in summary)

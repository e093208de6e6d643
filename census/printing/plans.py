"""What to print → the parts to render: plain records in, plain data out, no Flask.

``census print``, the print jobs of the web app and the building's print button all go
through ``plan``: it checks the request (a known register, building or grid), chooses
the buildings, and builds one part per building (household lists, household cards —
each building's pages numbered on their own), chunks of a long register (numbered
across the register) or the summary.

The review gate (``census.domain.gate``): a print counts approved records only unless its
request says ``approved=False`` (全部), and every part's first page says so with the
number of records of its building, grid or community left out (or, with 全部, not yet
approved): “仅含已审核记录；另有 12 户待审核未计入”.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from census.domain.address import grid_name, natural_key, place_key
from census.domain.charts import summary_charts
from census.domain.gate import Gate, Pending, pending_of
from census.domain.registers import RegisterDef, rows_in
from census.domain.residents import build_community
from census.domain.summary import report_paragraph, summary
from census.printing import cards, household_list, register_list, summary_print
from census.printing.grid import split_document
from census.printing.pipeline import Part
from census.printing.signoff import signoff_line
from census.printing.words import word
from census.queries.records import Records as StoredRecords
from census.queries.records import read_records as stored_records
from census.store import Store
from census.surveys.definition import FormDef
from census.surveys.registers import load_registers

if TYPE_CHECKING:
    from census.queries.derived import Derived, View

HOUSEHOLD_LIST = "household-list"
HOUSEHOLD_CARDS = "household-cards"
SUMMARY = "summary"
FIXED_TARGETS = (HOUSEHOLD_LIST, HOUSEHOLD_CARDS, SUMMARY)
LIST_SHEETS_PER_PART = 40  # a building with more pages than this is cut into several parts


class PrintRequestError(ValueError):
    """A print that cannot be made: unknown register, building or grid."""


@dataclass(frozen=True)
class PrintRequest:
    """What a user asked to print."""

    target: str  # household-list | household-cards | summary | a register key
    building: str | None = None
    grid: str | None = None
    as_of: date = field(default_factory=date.today)
    full_ids: bool = False
    lang: str = "zh"
    printed_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    approved: bool = True  # approved records only (已审核); False: every record (全部)
    prepared_by: str = ""  # 制表人 of the sign-off block ('' leaves it to sign by hand)

    @property
    def signoff(self) -> str:
        """The sign-off line under each list and register: 制表人、审核人、日期."""
        return signoff_line(self.prepared_by, self.printed_at, self.lang)

    @property
    def gate(self) -> Gate:
        """Which records this print counts."""
        return Gate(self.approved)

    def gate_line(self, pending: Pending) -> str:
        """The line on a part's first page: what it counts, how many records wait."""
        return self.gate.line(pending, self.lang)

    @property
    def scope(self) -> str:
        """The building or grid printed ('' for the whole community)."""
        return self.building or self.grid or ""

    def audit_target(self) -> str:
        """How the audit log names this print: household-list/3栋, registers/elderly_60 …"""
        what = self.target if self.target in FIXED_TARGETS else f"register:{self.target}"
        where = f"building:{self.building}" if self.building else ""
        where = where or (f"grid:{self.grid}" if self.grid else "community")
        return f"{what}/{where}"

    def params(self) -> dict[str, Any]:
        """The request as plain data (for job pages and the audit log)."""
        return {
            "target": self.target,
            "building": self.building,
            "grid": self.grid,
            "as_of": self.as_of.isoformat(),
            "full_ids": self.full_ids,
            "lang": self.lang,
            "approved": self.approved,
            "prepared_by": self.prepared_by,
        }


@dataclass
class Records:
    """Everything a print may need, read from the store once, as plain data."""

    community: str
    buildings: list[dict[str, Any]]
    households: list[dict[str, Any]]
    storefronts: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    # the read model's view these records are of (``records_seen``): a summary of the whole
    # community takes its figures, charts and pending records from it, worked out once
    view: View | None = None


def read_records(store: Store, community: str) -> Records:
    """Buildings, households and storefronts (each with its grid) and units from a store.

    Read as every read model reads them (``census.queries.records.read_records``, the one
    way to read the records), so that a print counts what the pages count.
    """
    return records_of(stored_records(store), community)


def records_seen(derived: Derived, request: PrintRequest, community: str) -> Records:
    """What a print needs, from the read model the pages see: the records of the view on the
    request's date and gate (kept up with the writes; the plan keeps the approved ones), so
    that a print and the registers and summary of that date agree, without a read of the
    store for each print."""
    view = derived.view(request.as_of, request.approved)
    records = records_of(view.records, community)
    records.view = view
    return records


def records_of(stored: StoredRecords, community: str) -> Records:
    """What a print needs of the records the read models are made from (read only: the
    documents may be the store's own, and each one's grid is already on it)."""
    return Records(community, stored.buildings, stored.households, stored.storefronts, stored.units)


@dataclass
class Plan:
    """The parts of a print and how to name the result."""

    parts: list[Part]
    title: str
    filename: str


def registers_by_key(registers: Sequence[RegisterDef] | None = None) -> dict[str, RegisterDef]:
    """The register definitions by key (forms/registers.yaml unless given)."""
    return {r.key: r for r in (registers if registers is not None else load_registers())}


def target_title(target: str, lang: str, registers: dict[str, RegisterDef]) -> str:
    """The printed name of a target: 住户花名册, 户卡, 基本情况 or the register's name."""
    fixed = {HOUSEHOLD_LIST: "household_list", HOUSEHOLD_CARDS: "household_cards"}
    if target in fixed:
        return word(fixed[target], lang)
    if target == SUMMARY:
        return word("summary", lang)
    return registers[target].title(lang)


def check(request: PrintRequest, records: Records, registers: dict[str, RegisterDef]) -> None:
    """Raise PrintRequestError when the target, building or grid does not exist."""
    if request.target not in FIXED_TARGETS and request.target not in registers:
        raise PrintRequestError(f"没有“{request.target}”这个台账 / no register {request.target}")
    if request.building and request.grid:
        raise PrintRequestError("楼栋和网格只能选一个 / choose a building or a grid, not both")
    names = {b["name"] for b in records.buildings}
    if request.building and request.building not in names:
        raise PrintRequestError(f"没有楼栋“{request.building}” / no building {request.building}")
    grids = {b.get("grid") for b in records.buildings}
    if request.grid and request.grid not in grids:
        raise PrintRequestError(f"没有网格“{request.grid}” / no grid {request.grid}")


def buildings_in_scope(request: PrintRequest, records: Records) -> list[str]:
    """The buildings printed, grid by grid, in natural order ("2栋" before "10栋").

    Buildings in no grid come after every grid (their bookmark says 未分网格).
    """
    if request.building:
        return [request.building]
    chosen = [b for b in records.buildings if not request.grid or b.get("grid") == request.grid]
    chosen.sort(key=lambda b: place_key(b.get("grid"), b["name"]))
    return [b["name"] for b in chosen]


def _grids(records: Records, lang: str) -> dict[str, str]:
    """Each building's grid as its bookmark names it (未分网格 for none)."""
    return {b["name"]: grid_name(b.get("grid"), lang) for b in records.buildings}


def _by_building(households: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for h in households:
        grouped.setdefault(h.get("building") or "", []).append(h)
    return grouped


def _household_list_parts(request: PrintRequest, records: Records) -> list[Part]:
    grouped = _by_building(records.households)
    grids = _grids(records, request.lang)
    parts = []
    for name in buildings_in_scope(request, records):
        everyone = grouped.get(name, [])
        if not everyone and not request.building:
            continue  # a building with nobody in it gets no page in a longer list
        context = household_list.household_list_context(
            community=records.community,
            building=name,
            households=request.gate.keep(everyone),
            printed_at=request.printed_at.date(),
            lang=request.lang,
            full_ids=request.full_ids,
            as_of=request.as_of,
            gate=request.gate_line(pending_of(everyone)),
            signoff=request.signoff,
        )
        for piece in split_document(context, LIST_SHEETS_PER_PART):
            parts.append(Part(household_list.TEMPLATE, piece, request.lang, name, grids[name]))
    return parts


def _card_parts(request: PrintRequest, records: Records, form: FormDef | None = None) -> list[Part]:
    grouped = _by_building(records.households)
    grids = _grids(records, request.lang)
    parts = []
    for name in buildings_in_scope(request, records):
        everyone = grouped.get(name, [])
        households = sorted(
            request.gate.keep(everyone),
            key=lambda h: (natural_key(h.get("unit")), natural_key(h.get("room"))),
        )
        if not everyone and not request.building:
            continue
        context = cards.card_sheets_context(
            community=records.community,
            building=name,
            households=households,
            as_of=request.as_of,
            printed_at=request.printed_at.date(),
            lang=request.lang,
            full_ids=request.full_ids,
            form=form,
            gate=request.gate_line(pending_of(everyone)),
        )
        parts.append(Part(cards.TEMPLATE, context, request.lang, name, grids[name]))
    return parts


def _scoped(request: PrintRequest, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if request.building:
        return [r for r in rows if r.get("building") == request.building]
    if request.grid:
        return [r for r in rows if r.get("grid") == request.grid]
    return rows


def _register_pending(request: PrintRequest, records: Records, reg: RegisterDef) -> Pending:
    """The records in the print's scope a register of this kind would list under 全部."""
    if reg.record == "storefront":
        return pending_of(storefronts=_scoped(request, records.storefronts))
    if reg.record == "unit":
        return pending_of(units=_scoped(request, records.units))
    return pending_of(_scoped(request, records.households), as_of=request.as_of)


def _register_parts(request: PrintRequest, records: Records, reg: RegisterDef) -> list[Part]:
    gate = request.gate
    community = build_community(gate.keep(records.households), request.as_of)
    found = rows_in(reg, community, gate.keep(records.storefronts), gate.keep(records.units))
    rows = _scoped(request, found)
    context = register_list.register_context(
        reg,
        rows,
        community=records.community,
        scope=request.scope,
        as_of=request.as_of,
        printed_at=request.printed_at.date(),
        lang=request.lang,
        full_ids=request.full_ids,
        gate=request.gate_line(_register_pending(request, records, reg)),
        signoff=request.signoff,
    )
    return [
        Part(household_list.TEMPLATE, piece, request.lang, reg.title(request.lang))
        for piece in split_document(context, register_list.CHUNK_SHEETS)
    ]


def _summary_figures(
    request: PrintRequest, records: Records
) -> tuple[dict[str, Any], dict[str, str], Pending]:
    """The figures, charts and pending records of a summary: the read model's view's for
    the whole community (as the summary page shows them, kept between prints), worked out
    from the records for a building or grid, or records not of a view."""
    view = records.view
    if view is not None and not request.scope and view_is_of(view, request):
        return view.figures(), view.charts(request.lang), view.pending()
    households = _scoped(request, records.households)
    storefronts = _scoped(request, records.storefronts)
    units = records.units if not request.scope else []
    pending = pending_of(households, storefronts, units, request.as_of)
    gate = request.gate
    households, storefronts, units = gate.keep(households), gate.keep(storefronts), gate.keep(units)
    figures = summary(households, storefronts, units, request.as_of)
    persons = build_community(households, request.as_of).residents
    return figures, summary_charts(figures, persons, request.lang), pending


def view_is_of(view: View, request: PrintRequest) -> bool:
    """Whether a view counts what the request asks for: its date and its gate."""
    return view.as_of == request.as_of and view.approved == request.approved


def _summary_parts(request: PrintRequest, records: Records) -> list[Part]:
    figures, charts, pending = _summary_figures(request, records)
    name = " ".join(x for x in (records.community, request.scope) if x)
    context = summary_print.summary_context(
        community=records.community,
        scope=request.scope,
        figures=figures,
        paragraph=report_paragraph(figures, name, request.lang),
        charts=charts,
        as_of=request.as_of,
        printed_at=request.printed_at,
        lang=request.lang,
        gate=request.gate_line(pending),
        signoff=request.signoff,
    )
    return [Part(summary_print.TEMPLATE, context, request.lang, word("summary", request.lang))]


def plan(
    request: PrintRequest,
    records: Records,
    registers: Sequence[RegisterDef] | None = None,
    surveys: Mapping[str, FormDef] | None = None,
) -> Plan:
    """The parts of a print, checked; raises PrintRequestError for an unknown name.

    ``surveys`` are the loaded definitions (the app's forms folder): the household cards
    show the household form's fields; without them, the installed forms.
    """
    regs = registers_by_key(registers)
    check(request, records, regs)
    if request.target == HOUSEHOLD_LIST:
        parts = _household_list_parts(request, records)
    elif request.target == HOUSEHOLD_CARDS:
        parts = _card_parts(request, records, (surveys or {}).get("household"))
    elif request.target == SUMMARY:
        parts = _summary_parts(request, records)
    else:
        parts = _register_parts(request, records, regs[request.target])
    name = target_title(request.target, request.lang, regs)
    scope = request.scope or word("whole_community", request.lang)
    title = f"{records.community} {scope} {name}"
    if not parts:  # a grid or community without households: one page saying so
        context = household_list.household_list_context(
            community=records.community,
            building=request.scope,
            households=[],
            printed_at=request.printed_at.date(),
            lang=request.lang,
            gate=request.gate_line(Pending()),
            signoff=request.signoff,
        )
        parts = [Part(household_list.TEMPLATE, context, request.lang, scope)]
    return Plan(parts, title, f"{scope}-{name}-{request.as_of.isoformat()}.pdf")

"""What the work-record pages, prints and the CLI read from a store, in one place each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from census.domain.gate import Gate, pending_of
from census.domain.summary import summary
from census.surveys.definition import SURVEYS, FormDef
from census.worklog.figures import SERVICE, work_figures
from census.worklog.links import Links, has_refs, households_of
from census.worklog.periods import Period
from census.worklog.registers import WorkRegister, register_for
from census.worklog.report import WorkReport, build_report

Surveys = Mapping[str, FormDef]


def work_forms(surveys: Surveys) -> dict[str, FormDef]:
    """Every survey that is not the census itself: the work records and the staff's surveys."""
    return {name: form for name, form in surveys.items() if name not in SURVEYS}


def registers(surveys: Surveys) -> dict[str, WorkRegister]:
    """The register of every work-record survey (settings checked: a bad one raises)."""
    return {name: register_for(form) for name, form in work_forms(surveys).items()}


def records(store: Any, form: FormDef) -> list[dict[str, Any]]:
    """Every stored record of a survey."""
    return store.collection(form.collection).scan()


def channel_labels(surveys: Surveys, lang: str = "zh") -> dict[str, str]:
    """The service channels (窗口, 信访, 热线) in the order of their code list."""
    form = surveys.get(SERVICE)
    if form is None:
        return {}
    return dict(form.field("channel").options(lang))


def period_report(
    store: Any,
    surveys: Surveys,
    community: str,
    period: Period,
    lang: str = "zh",
    *,
    approved: bool = True,
) -> WorkReport:
    """The work report of a period: the summary on its last day, then the work figures.

    The summary counts approved households, storefronts and units only unless ``approved``
    is False (census.domain.gate), and the report says so; the work records are not reviewed
    and a visit still names the household it went to, approved or not.
    """
    households = store.collection("households").scan()
    storefronts = store.collection("storefronts").scan()
    units = store.collection("units").scan()
    as_of = min(period.end, date.today())
    gate = Gate(approved)
    kept = (gate.keep(households), gate.keep(storefronts), gate.keep(units))
    figures_now = summary(*kept, as_of)
    work = {name: records(store, form) for name, form in work_forms(surveys).items()}
    channels = channel_labels(surveys, lang)
    figures = work_figures(work, period, Links(households), channels)
    line = gate.line(pending_of(households, storefronts, units, as_of), lang)
    return build_report(community, figures_now, figures, channels, lang, gate=line)


def household_records(
    store: Any, surveys: Surveys, household: dict[str, Any]
) -> list[tuple[WorkRegister, dict[str, Any]]]:
    """The work records that name a household or one of its members, newest first."""
    links = Links([household])
    found = []
    for reg in registers(surveys).values():
        form = reg.form
        if not has_refs(form):
            continue
        for record in records(store, form):
            if household["id"] in households_of(links, form, record):
                found.append((reg, record))
    return sorted(
        found,
        key=lambda pair: str(pair[1].get(pair[0].date or "") or pair[1].get("created_at") or ""),
        reverse=True,
    )

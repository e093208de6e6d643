"""The community summary (基本情况) printed: the figures, the report paragraph and the charts.

The charts are the SVG strings of ``census.domain.charts`` — the same images as on the
summary page — placed inline, so WeasyPrint draws them without fetching anything.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from census.domain.codes import label
from census.domain.summary import AGE_BANDS, FIGURES, figure_label, percent
from census.printing.words import css_string, page_counter_css, word

TEMPLATE = "print/summary.html"


def summary_context(
    *,
    community: str,
    scope: str,
    figures: dict[str, Any],
    paragraph: str,
    charts: dict[str, str],
    as_of: date,
    printed_at: datetime,
    lang: str = "zh",
    gate: str = "",
    signoff: str = "",
) -> dict[str, Any]:
    """Everything the summary template shows: figure rows, groups, bands, paragraph, SVGs;
    ``gate`` is the review gate's line (which records it counts, how many wait)."""
    plain = [k for k in FIGURES if k not in ("by_ethnicity", "age_bands")]
    rows = [
        (figure_label(k, lang), percent(figures[k]) if k == "minority_share" else figures[k])
        for k in plain
    ]
    words = "figures figure value by_ethnicity age_bands charts confidential".split()
    return {
        "heading": " ".join(x for x in (community, scope, word("summary", lang)) if x),
        "as_of": word("as_of", lang) + as_of.isoformat(),
        "printed_at": word("printed_at", lang) + printed_at.strftime("%Y-%m-%d %H:%M"),
        "gate": gate,
        "signoff": signoff,  # 制表人、审核人、日期, at the end
        "paragraph": paragraph,
        "rows": rows,
        "ethnic": [(label("ethnicity", k, lang), v) for k, v in figures["by_ethnicity"].items()],
        "bands": [(band, figures["age_bands"].get(band, 0)) for band in AGE_BANDS],
        "charts": list(charts.values()),
        "words": {w: word(w, lang) for w in words},
        # fixed words only, written as CSS strings; no record text reaches the stylesheet
        "css_page_counter": page_counter_css(lang),
        "css_confidential": css_string(word("confidential", lang)),
    }

"""The summary's charts as SVG strings (pygal), the same image on the page and in the PDF.

No scripts and no external files: the SVG is self-contained, so it can be inlined in a page
and handed to WeasyPrint unchanged. Fonts name the CJK families Debian installs.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from typing import Any

import pygal
from pygal.style import Style

from census.domain.codes import label
from census.util.i18n import N_, NC_, gettext

# pygal appends an import hook for its map plugins (pygal.maps.*) to sys.meta_path. It has
# no find_spec, so every later import that misses (openpyxl probing for numpy, say) warns,
# and warnings are errors in the tests. No maps are drawn here: take the hook out.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

FONTS = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'WenQuanYi Micro Hei', 'Source Han Sans SC', sans-serif"
)
STYLE_ARGS: dict[str, Any] = dict(
    background="white",
    plot_background="white",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#888",
    font_family=FONTS,
    label_font_family=FONTS,
    major_label_font_family=FONTS,
    value_font_family=FONTS,
    value_label_font_family=FONTS,
    title_font_family=FONTS,
    legend_font_family=FONTS,
    tooltip_font_family=FONTS,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=15,
    title_font_size=18,
    value_font_size=13,
    colors=("#2f6fb0", "#c8504a", "#4c9a5a", "#d99a2b", "#7b5aa6", "#3a9ea5", "#999999"),
)
STYLE = Style(**STYLE_ARGS)
PYRAMID_STYLE = Style(**{**STYLE_ARGS, "colors": ("#c8504a", "#2f6fb0")})
PYRAMID_BANDS = tuple(f"{a}-{a + 4}" for a in range(0, 85, 5)) + ("85+",)
TOP_GROUPS = 8
# The charts' titles and words: msgids of the one catalogue (census.util.i18n).
TEXT: dict[str, str] = {
    "age_pyramid": N_("年龄性别结构"),
    "ethnicity": N_("各民族人口"),
    "residence": NC_("chart", "人员类别"),
    "others": N_("其他民族"),
    "people": N_("人"),
}


def _config(title: str, **extra: Any) -> dict[str, Any]:
    return dict(
        title=title,
        style=STYLE,
        js=[],  # no script tags: the SVG must render the same in a page and in WeasyPrint
        disable_xml_declaration=True,
        width=640,
        height=400,
        legend_at_bottom=True,
        print_values=False,
        **extra,
    )


def _svg(chart: Any, name: str) -> str:
    """Render without pygal's config script and dated comment, with a stable element id."""
    svg = str(chart.render(is_unicode=True))
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    found = re.search(r'id="chart-([0-9a-f-]+)"', svg)
    if found:
        svg = svg.replace(found.group(1), f"census-{name}")
    return svg


def _band(age: int | None) -> int | None:
    if age is None or age < 0:
        return None
    return min(age // 5, len(PYRAMID_BANDS) - 1)


def age_pyramid(persons: list[dict[str, Any]], lang: str = "zh") -> str:
    """Residents in five-year bands, men to the left and women to the right."""
    counts: dict[str, Counter[int]] = {"male": Counter(), "female": Counter()}
    for p in persons:
        band = _band(p.get("age"))
        if band is not None and p.get("sex") in counts:
            counts[p["sex"]][band] += 1
    chart = pygal.Pyramid(
        **_config(gettext(TEXT["age_pyramid"], lang), value_formatter=lambda v: f"{abs(v):g}"),
    )
    chart.config.style = PYRAMID_STYLE
    chart.x_labels = list(PYRAMID_BANDS)
    # pygal draws the first series to the right: women right, men left, as pyramids are drawn
    for sex in ("female", "male"):
        chart.add(label("sex", sex, lang), [counts[sex][i] for i in range(len(PYRAMID_BANDS))])
    return _svg(chart, "age-pyramid")


def ethnicity_chart(by_ethnicity: dict[str, int], lang: str = "zh") -> str:
    """Residents per ethnic group, the largest groups by name and the rest together."""
    items = sorted(by_ethnicity.items(), key=lambda kv: -kv[1])
    shown, rest = items[:TOP_GROUPS], items[TOP_GROUPS:]
    if rest:
        shown.append((gettext(TEXT["others"], lang), sum(n for _, n in rest)))
    # pygal measures labels as Latin text; CJK names are wider, so leave them room
    chart = pygal.HorizontalBar(
        **_config(
            gettext(TEXT["ethnicity"], lang), show_legend=False, margin_left=36, truncate_label=-1
        )
    )
    chart.x_labels = [label("ethnicity", name, lang) for name, _ in reversed(shown)]
    chart.add(gettext(TEXT["people"], lang), [n for _, n in reversed(shown)])
    return _svg(chart, "ethnicity")


def residence_chart(figures: dict[str, Any], lang: str = "zh") -> str:
    """Registered and floating residents and persons living elsewhere."""
    chart = pygal.Pie(**_config(gettext(TEXT["residence"], lang), inner_radius=0.45))
    for code, key in (
        ("registered", "registered_residents"),
        ("floating", "floating_residents"),
        ("away", "away_persons"),
    ):
        chart.add(f"{label('residence_type', code, lang)} {figures[key]}", figures[key])
    return _svg(chart, "residence")


def summary_charts(
    figures: dict[str, Any], persons: list[dict[str, Any]], lang: str = "zh"
) -> dict[str, str]:
    """``{"age_pyramid", "ethnicity", "residence"}`` → SVG text, for the page and the PDF.

    ``persons`` are the resident rows of ``person_rows`` on the same date as ``figures``.
    """
    return {
        "age_pyramid": age_pyramid(persons, lang),
        "ethnicity": ethnicity_chart(figures["by_ethnicity"], lang),
        "residence": residence_chart(figures, lang),
    }

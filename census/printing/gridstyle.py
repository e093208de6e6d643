"""What a grid looks like besides its text: rules and shade as images, lines as one text block.

WeasyPrint lays out and draws every box of every page, so a list page is cheapest with as
few boxes as possible: each grid (census/printing/grid.py) is one ``white-space: pre`` text
block over two background images, the column rules (shared by a document's sheets) and the
heading's shade with the rules between households (one per sheet). Both are SVG, stretched
over the grid's box, and pass the print fetcher as base64 ``data:`` URLs.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from markupsafe import Markup, escape

MM_PER_PT = 25.4 / 72
RULE_PT = 0.3  # the width of the rules between columns
HEADER_FILL = "#e6e6e6"
ROW_RULE = "#666"
ROW_RULE_PT = 0.5


def _data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def rules_image(rules: Sequence[float], width_em: float, font_pt: float) -> str:
    """The vertical rules between columns as one SVG image, stretched over a grid's box.

    Drawn as the grid's background instead of one element per rule and page: WeasyPrint lays
    out and draws every element of every page, and sixteen rules cost about a sixth of a
    list page. The image is ``width_em`` wide in em, so the rules land where the columns are;
    one path, as each SVG element costs a little to draw on every page.
    """
    if not rules:
        return ""
    half = RULE_PT / font_pt / 2
    path = "".join(f"M{x - half:.4f} 0h{2 * half:.4f}v1h-{2 * half:.4f}z" for x in rules)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_em:g}" height="1" '
        f'viewBox="0 0 {width_em:g} 1" preserveAspectRatio="none">'
        f'<path fill="#aaa" d="{path}"/></svg>'
    )
    return _data_url(svg)


def grid_text(header: Sequence[str], lines: Sequence[Sequence[str]]) -> Markup:
    """A grid's heading and body lines as the text of one ``white-space: pre`` block.

    WeasyPrint lays out and draws one block of many lines in about two thirds of the time it
    takes for one block per line. A greyed ("off") line becomes an inline span; the rules and
    the heading's shade come from :func:`rows_image`, as nothing else marks a line.
    """
    out = [escape(text or " ") for text in header]
    for text, cls in lines:
        text = escape(text or " ")  # an empty last line would add no line box
        out.append(Markup('<span class="off">%s</span>') % text if "off" in cls.split() else text)
    return Markup("\n").join(out)


def rows_image(header: int, lines: Sequence[Sequence[str]], line_mm: float) -> str:
    """The heading's shade and the rules under "end" lines, stretched over a grid's box.

    The image is one unit wide and a unit per line high, so each rule lands at the bottom
    of its line as a border would.
    """
    height = header + len(lines)
    rule = ROW_RULE_PT * MM_PER_PT / line_mm  # in lines
    shade, path = "", ""
    if header:
        shade = f'<rect width="1" height="{header}" fill="{HEADER_FILL}"/>'
        path = f"M0 {header - rule:.4f}h1v{rule:.4f}h-1z"
    for n, (_text, cls) in enumerate(lines, start=header + 1):
        if "end" in cls.split() and n < height:  # the grid's border draws the last one
            path += f"M0 {n - rule:.4f}h1v{rule:.4f}h-1z"
    rules = f'<path fill="{ROW_RULE}" d="{path}"/>' if path else ""
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="{max(height, 1)}" '
        f'viewBox="0 0 1 {max(height, 1)}" preserveAspectRatio="none">{shade}{rules}</svg>'
    )
    return _data_url(svg)

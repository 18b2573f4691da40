"""The report as HTML: the body the console's `/reports` shows, and the self-contained file of
`leadflow report --html`.

Both render `templates/report/_body.html` from `reports.charts` (key figures, chart specs and
their tables, the heatmap), so the page and the file cannot drift apart. The page passes `href`,
which turns a figure's lead-list filters into a link; the file passes none (it is read offline,
away from the console). The file carries everything inline — the console's stylesheets, Chart.js
from the vendored copy and `reports.js` — read from the installed package: it opens with no
network, and no CDN is ever named.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from leadflow.reports import charts

# (the row's lead-list filters, whether the number is the previous period's) -> a URL or None
Href = Callable[[Mapping[str, str] | None, bool], str | None]
STATIC = ("css/console.css", "css/reports.css")
VENDORED_CHART = "vendor/chart.umd.min.js"
SCRIPT = "js/reports.js"


def body(
    summary: Mapping[str, Any],
    hour_groups: Sequence[Mapping[str, Any]],
    href: Href | None = None,
    compared: charts.Compared = charts.PERIODS,
) -> Markup:
    """The figures, charts and tables of a summary, as HTML (autoescaped: groups are text)."""
    drawn = charts.charts(summary, compared)
    return Markup(
        _env()
        .get_template("report/_body.html")
        .render(
            summary=summary,
            figures=charts.key_figures(summary),
            charts=drawn,
            heat=charts.heatmap(hour_groups),
            specs=chart_data(drawn),
            href=href or _no_links,
            compared=compared,
        )
    )


def document(
    summary: Mapping[str, Any],
    hour_groups: Sequence[Mapping[str, Any]],
    made_at: datetime,
    source: str,
    compared: charts.Compared = charts.PERIODS,
) -> str:
    """One HTML file with the report, its styles and its scripts inline: it works offline."""
    return (
        _env()
        .get_template("report/file.html")
        .render(
            summary=summary,
            body=body(summary, hour_groups, compared=compared),
            made_at=made_at,
            source=source,
            compared=compared,
            styles=Markup("\n".join(_static(name) for name in STATIC)),
            chart_library=_script(_static(VENDORED_CHART)),
            chart_script=_script(_static(SCRIPT)),
        )
    )


def _no_links(leads: Mapping[str, str] | None, previous: bool = False) -> str | None:
    return None


def chart_data(drawn: Sequence[charts.Chart]) -> Markup:
    """The charts' specs as JSON for a `<script type="application/json">` block.

    A script element's text is not HTML-unescaped, so the JSON is written raw, with `<`, `>`
    and `&` as JSON escapes: a group named `</script>` cannot end the block.
    """
    text = json.dumps([c.spec() for c in drawn if c.drawn and c.has_data], separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _script(text: str) -> Markup:
    # Inside <script>, only `</script` ends the element; the vendored files never contain it,
    # and this keeps it so should a later version.
    return Markup(text.replace("</script", "<\\/script"))


@lru_cache(maxsize=8)
def _static(name: str) -> str:
    return (resources.files("leadflow.console") / "static" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("leadflow", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env

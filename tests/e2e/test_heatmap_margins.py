"""The heat map's margins already hold its labels, so plotly draws its thousand squares once, not twice.

With plotly's automargin and the default margins, the first drawing measures the slanted task names and
the unit names, then everything is drawn again with wider margins: 0,38 s instead of 0,14 s at 10.000
items (docs/benchmarks.md). Drawn here with the plotly.js that ships with the Python package (offline).
"""

from pathlib import Path

import pandas as pd
import plotly
import pytest
import streamlit.elements.plotly_chart  # noqa: F401  (the app's default template, "streamlit", as on the page)

from tracker import charts
from tracker.db import make_engine, session_scope
from tracker.catalog import load_catalog
from tracker.migrate import upgrade
from tracker.services import plans as plan_service
from tracker.services import units as unit_service

pytestmark = pytest.mark.e2e

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# The margins plotly settled on, and how many times it drew the points (each drawing makes new nodes).
DRAW = """async (fig) => {
  const gd = document.getElementById("g");
  let draws = 0;
  await Plotly.newPlot(gd, fig.data, fig.layout);
  gd.on("plotly_afterplot", () => { draws += 1; });
  await Plotly.react(gd, fig.data, {...fig.layout, width: gd.clientWidth});
  const m = gd._fullLayout._size;
  return {l: m.l, r: m.r, t: m.t, b: m.b, draws};
}"""


def _heat(units: list[str], tasks: list[str]) -> pd.DataFrame:
    rows = [{"unit": u, "unit_id": i, "task": t, "task_id": j, "number": j, "worst": ("red", "amber", "green")[(i + j) % 3],
             "red": (i + j) % 4, "amber": 1, "green": 2, "items": 3 + (i * j) % 9}
            for i, u in enumerate(units) for j, t in enumerate(tasks)]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """Every current unit's name and the 2024 plan's tasks (column, text), from the built-in catalog."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('heat') / 'catalog.sqlite3'}")
    upgrade(engine)
    with session_scope(engine) as s:
        load_catalog(s)
        units = [u.name for u in unit_service.list_units(s)]
        plan = max(plan_service.list_plans(s), key=lambda p: len(plan_service.list_tasks(s, plan_id=p.id)))
        names = {f"({t.label})": t.display_text for t in plan_service.list_tasks(s, plan_id=plan.id)}
    engine.dispose()
    return units, names


@pytest.mark.parametrize("width", [1400, 700])
def test_the_heat_map_margins_hold_every_label_so_plotly_does_not_push_them(browser, catalog, width):
    units, names = catalog
    chart = charts.rag_heatmap(_heat(units, list(names)), task_names=names)
    margin = chart.figure.layout.margin
    page = browser.new_page(viewport={"width": width + 100, "height": 1000})
    try:
        page.set_content(f"<div id='g' style='width:{width}px'></div>")
        page.add_script_tag(path=str(PLOTLY_JS))
        got = page.evaluate(DRAW, chart.figure.to_plotly_json())
    finally:
        page.close()
    assert (got["l"], got["r"], got["t"], got["b"]) == (margin.l, margin.r, margin.t, margin.b)
    assert got["draws"] == 1  # the width change redraws once; no push afterwards


def test_a_label_longer_than_the_estimate_still_gets_the_room_it_needs(browser, catalog, monkeypatch):
    units, names = catalog
    monkeypatch.setattr(charts, "_UNIT_CHAR_PX", 3.0)  # an estimate far too small for these names
    chart = charts.rag_heatmap(_heat(units, list(names)), task_names=names)
    estimate = chart.figure.layout.margin.l
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    try:
        page.set_content("<div id='g' style='width:1400px'></div>")
        page.add_script_tag(path=str(PLOTLY_JS))
        got = page.evaluate(DRAW, chart.figure.to_plotly_json())
    finally:
        page.close()
    assert got["l"] > estimate + 50  # automargin is still on: nothing is cut

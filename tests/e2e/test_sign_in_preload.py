"""The sign-in page loads Tổng quan's scripts while the person types (dashboard_view.preload_charts), and
nobody sees or hears them: the elements drawn for that are hidden and out of the accessibility tree."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_app
from tracker.ui.dashboard_view import PRELOAD_KEY

pytestmark = pytest.mark.e2e

# Streamlit's chunks (static/js/<Name>.<hash>.js) loaded with an element's first use: plotly, the table
# (glide-data-grid: the biggest module evaluated after the click before), the metric, the filters' boxes.
CHUNKS = ["PlotlyChart", "DataFrame", "Metric", "Selectbox", "DateInput"]
SCRIPTS = """() => performance.getEntriesByType("resource").map((e) => e.name.split("/").pop())
  .filter((n) => n.endsWith(".js"))"""


def test_the_sign_in_page_loads_tong_quan_s_scripts_unseen(app_server, page):
    server = app_server()
    page.goto(server.url)
    wait_for_app(page)
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
    page.wait_for_function(f"() => ({SCRIPTS})().filter((n) => {CHUNKS!r}.some((c) => n.startsWith(c + '.')))"
                           f".length >= {len(CHUNKS)}", timeout=60_000)
    loaded = page.evaluate(SCRIPTS)
    for chunk in CHUNKS:
        assert any(name.startswith(chunk + ".") for name in loaded), (chunk, loaded)

    hidden = page.locator(f".st-key-{PRELOAD_KEY}")
    expect(hidden).to_be_attached()
    expect(hidden).to_be_hidden()
    for test_id in ("stDataFrame", "stMetric", "stSelectbox", "stDateInput", "stPlotlyChart"):
        expect(hidden.get_by_test_id(test_id)).to_have_count(1)  # drawn (so its script ran)…
        expect(page.get_by_test_id(test_id)).to_be_hidden()  # …and not seen
    tree = page.locator("body").aria_snapshot()
    assert "Tổng số công việc" not in tree and "grid" not in tree and "combobox" not in tree, tree
    assert page.get_by_role("textbox").count() == 2  # the user name and the password, nothing else
    screenshot(page, "sign-in-preload.png")

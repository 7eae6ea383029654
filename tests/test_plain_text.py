"""User text is plain text everywhere: a title with markdown, HTML or LaTeX shows as typed, in pages
(escaped markdown) and in charts (plotly's pseudo-HTML escaped in labels, hovers and titles)."""

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import dashboard_fixture
from tests.dashboard_fixture import TODAY
from tests.factories import make_user, sign_in
from tests.item_factories import make_item
from tracker import charts
from tracker.db import session_scope
from tracker.models import Role
from tracker.permissions import Actor
from tracker.services import dashboard
from tracker.services.dashboard import Filters
from tracker.ui.text import WORD_JOINER, md

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '![x](http://example.com/x.png) <a href="http://example.com/">bấm</a> **đậm** $x^2$'


@pytest.fixture
def board(session):
    fx = dashboard_fixture.build(session)
    leader = Actor(user_id=1, username="lanh.dao", role=Role.LEADER)
    return dashboard.build(session, actor=leader, filters=Filters(plan_id=fx["plan"]), today=TODAY)


def _no_markup(figure) -> None:
    text = figure.to_json()
    assert "<a " not in text and "<b>" not in text
    assert "&lt;a href=" in text


def test_titles_and_unit_names_are_escaped_in_every_chart(board):
    gantt = board.gantt.assign(title=HOSTILE, unit=HOSTILE)
    for group in ("task", "unit"):
        _no_markup(charts.gantt(gantt, group=group, today=TODAY).figure)
    _no_markup(charts.unit_ranking(board.by_unit.assign(unit=HOSTILE)).figure)
    _no_markup(charts.rag_heatmap(board.heatmap.assign(unit=HOSTILE)).figure)
    _no_markup(charts.task_status(board.by_task.assign(task=HOSTILE), task_label=HOSTILE).figure)
    _no_markup(charts.targets(board.forms.assign(form=HOSTILE)).figure)
    _no_markup(charts.budget(board.budget.assign(task=HOSTILE)).figure)


def test_the_gantt_hover_shows_the_title_as_typed(board):
    figure = charts.gantt(board.gantt.assign(title='<a href="http://example.com/">x</a> & <b>'), today=TODAY).figure
    titles = {row[1] for trace in figure.data for row in trace.customdata}
    assert titles == {'&lt;a href="http://example.com/"&gt;x&lt;/a&gt; &amp; &lt;b&gt;'}  # plotly shows it as typed


def test_md_escapes_links_images_and_latex():
    escaped = md(HOSTILE)
    assert re.search(r"(?<!\\)[\[\]$*<>]", escaped) is None  # every markup character escaped
    # Bare URLs, www. names, e-mail addresses and :icons: act after escapes: a word joiner keeps them text.
    assert md("http://x.vn www.x.vn a@x.vn :material/warning:").count(WORD_JOINER) == 4
    assert md("1. Đã lưu công việc số 12 (quý I).\n- mục") == "1\\. Đã lưu công việc số 12 (quý I).\n\\- mục"


def test_the_item_page_shows_a_hostile_title_as_text(db_env, engine):
    with session_scope(engine) as s:
        user = make_user(s, "lanh.dao", Role.LEADER)
        item_id = make_item(s, unit_code="VU-TCBC", title=HOSTILE, due=dt.date(2024, 6, 30)).id
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    sign_in(at, user)
    at.run()
    at.query_params["id"] = str(item_id)
    at.switch_page("pages/item.py").run()
    assert not at.exception
    assert at.title[0].value == md(HOSTILE)

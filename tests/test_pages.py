"""Pages through AppTest: the plans page shows each plan's tasks and the missing marker."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tracker.migrate import downgrade

TIMEOUT = 30
APP = Path(__file__).resolve().parent.parent / "app.py"


def _markdown(at):
    return "\n".join(m.value for m in at.markdown)


def test_plans_page_shows_tasks_and_missing_marker(db_env):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Kế hoạch"
    assert [t.label for t in at.tabs] == ["184/QĐ-BNV · năm 2024", "KH-2023 · năm 2023"]
    text = _markdown(at)
    assert "Đẩy mạnh công tác truyền thông về các sự kiện chính trị" in text.replace("\\", "")
    assert "**(11)** :orange-badge[:material/warning: Chưa có nội dung trong văn bản nguồn]" in text
    assert "**(viii)**" in text
    assert any("chưa được kiểm chứng" in w.value for w in at.warning)


def test_unmigrated_database_shows_how_to_initialise(db_env, engine):
    downgrade(engine, "base")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "python -m tracker init" in at.error[0].value

"""The benchmark's browser pages step runs end to end on a small database (figures printed, never asserted)."""

import pytest

from tracker import bench

pytestmark = pytest.mark.e2e


def test_the_pages_step_measures_every_page_beside_the_light_one(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    url = bench._fresh_sqlite(tmp_path / "bench.sqlite3")
    engine, info = bench.build(url, 60)
    engine.dispose()
    lines: list[str] = []
    result = bench.Bench(repeat=1, echo=lines.append)
    bench._chromium_pages(result, "sqlite", 60, url, info)
    assert [r.note for r in result.rows if r.note.startswith(("lỗi", "bỏ qua"))] == []
    names = [r.name for r in result.rows]
    assert names[:4] == ["Chromium: đăng nhập Văn phòng đến khi Việc của tôi xong (trang nhẹ)",
                         "Chromium: đăng nhập Lãnh đạo đến khi Tổng quan vẽ xong",
                         "Chromium: Tổng quan, chuyển sang biểu đồ khác", "Chromium: Tổng quan ngay sau một lần ghi"]
    assert names[-1] == "Chromium: trang đăng nhập, từ khi mở đến khi hiện ô nhập"
    assert "Chromium: thanh bên → Thông báo" in names and "Chromium: thanh bên → Lịch" in names
    assert "Chromium: Tổng quan → Chi tiết công việc (bấm một việc trong danh sách)" in names
    assert "Chromium: Tổng quan, chuyển sang tab «Luồng tích lũy»" in names
    assert "Chromium: mở đường dẫn một công việc trong thẻ mới (đã đăng nhập), từ khi mở" in names
    assert len(names) == 4 + 8 + 6 + 2 + 1 and all(r.median and r.median > 0 for r in result.rows)
    dashboard = result.rows[1]
    assert dashboard.ratio and "1 biểu đồ" in dashboard.note  # only the tab shown is drawn
    assert all("kB" in r.note for r in result.rows)

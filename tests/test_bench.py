"""The benchmark command itself runs end to end on a tiny database (figures are printed, never asserted)."""

from tracker import bench


def test_bench_runs_every_measurement_and_prints_the_table(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    lines: list[str] = []
    result = bench.run(sizes=[40], postgres_url=None, repeat=1, workdir=tmp_path, skip=set(),
                       echo=lines.append, import_rows=30)
    names = [r.name for r in result.rows]
    assert names == ["Tạo dữ liệu mẫu (một lần)", "Số liệu tổng quan", "Số liệu tổng quan, chốt 30/06, lần đầu",
                     "Số liệu tổng quan, chốt 30/06, lần sau",
                     "Chuyển một thẻ", "Sửa đồng loạt 40 việc (xem trước + ghi)",
                     "Giao đồng loạt cho 83 đơn vị, kèm thông báo",
                     "Trang Tổng quan (AppTest)", "Trang Bảng Kanban, có lọc (AppTest)",
                     "Lịch tháng của kế hoạch", "Tệp lịch .ics của đơn vị nhiều việc nhất", "Trang Lịch, tháng (AppTest)",
                     "Báo cáo Word",
                     "Nhập Excel 30 dòng", "Nhập Excel 30 dòng, bố cục riêng của đơn vị"]
    assert [r.note for r in result.rows if r.note.startswith("lỗi")] == []
    assert all(r.median and r.median > 0 for r in result.rows)
    assert all(r.floor and r.ratio for r in result.rows[1:])  # every figure beside its floor
    assert lines[3].startswith("| CSDL |") and any("Bộ nhớ đỉnh" in line for line in lines)

"""Command line: python -m tracker init | plans | tasks | units | user add | demo | remind | jobs | report.

Exit codes: 0 success, 1 failure while working (bad catalog file, database error),
2 bad request (unknown plan, unit or role; bad arguments).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

from sqlalchemy import select

from tracker import clock, mail, periods
from tracker.catalog import CatalogError, load_catalog
from tracker.config import database_url
from tracker.db import make_engine, session_scope
from tracker.errors import NotFound, TrackerError, ValidationFailed
from tracker.migrate import upgrade
from tracker.models import Role, User
from tracker.permissions import Actor
from tracker.charts import format_percent
from tracker.services import dashboard
from tracker.services import auth as auth_service
from tracker.services import demo as demo_service
from tracker.deadlines import MONTH, RECURRENCE_LABELS
from tracker.services import imports as import_service
from tracker.services.sheet_layout import MAP_NAMES, parse_map
from tracker.services import work_item_lists
from tracker.services import work_items as work_item_service
from tracker.services import plans as plan_service
from tracker.services import jobs as job_service
from tracker.services import reminders as reminder_service
from tracker.services import rollover as rollover_service
from tracker.services import settings as settings_service
from tracker.services import reports as report_service
from tracker.services import units as unit_service
from tracker.services import users as user_service
from tracker.text import format_date, format_number

EXIT_FAILED = 1
EXIT_BAD_REQUEST = 2


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _parse_date(value: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"ngày “{value}” không hợp lệ (dạng dd/mm/yyyy hoặc yyyy-mm-dd)")


def cmd_init(engine, args) -> int:
    upgrade(engine)
    with session_scope(engine) as session:
        report = load_catalog(session)
    state = "đã cập nhật" if report.changed else "không thay đổi"
    print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất; danh mục {state}. {report.summary()}")
    return 0


def cmd_plans(engine, args) -> int:
    with session_scope(engine) as session:
        plans = plan_service.list_plans(session)
    if args.json:
        _print_json([asdict(p) for p in plans])
        return 0
    for p in plans:
        flag = "" if p.verified else "  [chưa kiểm chứng]"
        print(f"{p.code:<14} {p.year}  {p.task_count:>2} nhiệm vụ  {p.item_count:>6} công việc  {p.title}{flag}")
    return 0


def cmd_tasks(engine, args) -> int:
    with session_scope(engine) as session:
        plan = plan_service.find_plan(session, args.plan)
        tasks = plan_service.list_tasks(session, plan_id=plan.id)
    if args.json:
        _print_json([{**asdict(t), "missing": t.text_missing} for t in tasks])
        return 0
    for t in tasks:
        text = t.text if t.text else f"[{plan_service.MISSING_TEXT_LABEL}]"
        print(f"({t.label}) {text}")
    return 0


def cmd_units(engine, args) -> int:
    with session_scope(engine) as session:
        units = unit_service.list_units(session, active_on=args.active_on)
    if args.json:
        _print_json([asdict(u) for u in units])
        return 0
    for u in units:
        period = f"{format_date(u.valid_from) or '…'} – {format_date(u.valid_to) or 'nay'}"
        succ = f" → {u.successor_code}" if u.successor_code else ""
        print(f"{u.code:<22} {u.name:<48} {period}{succ}")
    print(f"Tổng: {len(units)} đơn vị")
    return 0


def _read_password(args) -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu: ")
    second = getpass.getpass("Nhập lại mật khẩu: ")
    if first != second:
        raise ValidationFailed("Hai lần nhập mật khẩu không khớp.")
    return first


def cmd_user_add(engine, args) -> int:
    role = user_service.parse_role(args.role)
    with session_scope(engine) as session:
        if args.unit:
            unit_service.find_unit(session, args.unit)
        password = _read_password(args)
        user = user_service.create_user(session, username=args.username, password=password, role=role,
                                        unit_code=args.unit, full_name=args.full_name)
        print(f"Đã tạo tài khoản “{user.username}” ({user_service.ROLE_LABELS[role]}).")
    return 0


def cmd_user_unlock(engine, args) -> int:
    with session_scope(engine) as session:
        if session.scalar(select(User.id).where(User.username == args.username.strip().lower())) is None:
            raise NotFound(f"Không có tài khoản “{args.username}”.")
        waiting = auth_service.unlock(session, username=args.username)
    print(f"Đã mở khóa đăng nhập cho tài khoản “{args.username.strip().lower()}” ({waiting} bộ đếm được xóa).")
    return 0


def cmd_user_unlock_address(engine, args) -> int:
    address = args.address.strip()
    with session_scope(engine) as session:
        if not auth_service.unlock_address(session, address=address):
            raise NotFound(f"Địa chỉ “{address}” không có lượt đăng nhập nào đang được đếm.")
    print(f"Đã mở khóa đăng nhập cho địa chỉ “{address}” (tài khoản còn phải chờ riêng từ địa chỉ này: "
          "mở bằng “user unlock TÊN”).")
    return 0


def cmd_demo(engine, args) -> int:
    def progress(done: int, total: int) -> None:
        print(f"\r  {done:,}/{total:,} công việc".replace(",", "."), end="", file=sys.stderr, flush=True)

    with session_scope(engine) as session:
        plan = plan_service.find_plan(session, args.plan)
        result = demo_service.generate_demo(session, plan=plan, items=args.items, seed=args.seed,
                                            as_of=args.as_of, progress=progress)
    print(file=sys.stderr)
    print(f"Đã tạo {result.items} công việc mẫu với {result.events} sự kiện cho kế hoạch {result.plan_code} "
          f"(tính đến {format_date(result.as_of)}; thay thế {result.removed} công việc mẫu cũ).")
    return 0


def cmd_remind(engine, args) -> int:
    settings = None
    if not args.dry_run:
        settings = mail.smtp_settings()
        if settings is None:
            print("Lỗi: Chưa cấu hình máy chủ thư (TRACKER_SMTP_HOST). Đặt các biến TRACKER_SMTP_* "
                  "hoặc chạy với --dry-run để xem trước.", file=sys.stderr)
            return EXIT_BAD_REQUEST
    today = args.today or clock.today()
    with session_scope(engine) as session:
        digests = reminder_service.compose_digests(session, today=today, due_within_days=args.within)
    ready = [d for d in digests if d.recipients]
    unaddressed = [d for d in digests if not d.recipients]
    if args.dry_run:
        for d in digests:
            print(f"=== {d.unit_name} ({d.unit_code}) ===")
            print(f"Người nhận: {', '.join(d.recipients) or '(chưa có địa chỉ thư – sẽ không gửi)'}")
            print(f"Tiêu đề: {d.subject}")
            print()
            print(d.body)
        print(f"Tổng: {len(digests)} đơn vị có việc cần nhắc; {len(ready)} thư sẽ được gửi; "
              f"{len(unaddressed)} đơn vị chưa có địa chỉ thư.")
        return 0
    messages = [mail.build_message(sender=settings.sender, to=d.recipients, subject=d.subject, body=d.body)
                for d in ready]
    refused = mail.send(messages, settings=settings) if messages else {}
    for d in unaddressed:
        print(f"Cảnh báo: không gửi cho {d.unit_name} ({d.unit_code}): chưa có trưởng đơn vị nào "
              "đang hoạt động có địa chỉ thư.", file=sys.stderr)
    for address, reason in refused.items():
        print(f"Cảnh báo: máy chủ thư từ chối người nhận {address}: {reason}", file=sys.stderr)
    print(f"Đã gửi {len(messages)} thư nhắc việc ngày {format_date(today)}; "
          f"{len(unaddressed)} đơn vị không gửi được vì chưa có địa chỉ thư.")
    return 0


def cmd_jobs(engine, args) -> int:
    """The scheduled job: reminders, e-mail (queued, then sent), expired sessions; safe to repeat."""
    settings = mail.smtp_settings()
    today = args.today or clock.today()
    with session_scope(engine) as session:
        report = job_service.prepare(session, today=today, within_days=args.within)
    if settings is not None:
        with session_scope(engine) as session:
            job_service.send_outbox(session, settings=settings, report=report)
    else:
        print("Cảnh báo: chưa cấu hình máy chủ thư (TRACKER_SMTP_HOST): thư được giữ lại để gửi lần sau.",
              file=sys.stderr)
    for error in dict.fromkeys(report.errors):
        print(f"Cảnh báo: {error} (thư được giữ lại để gửi lần sau)", file=sys.stderr)
    print(f"Ngày {format_date(today)}: {format_number(report.reminders)} thông báo nhắc việc; "
          f"{format_number(report.queued)} thư mới; {format_number(report.sent)} thư đã gửi; "
          f"{format_number(report.failed)} thư chưa gửi được; {format_number(report.sessions_ended)} phiên "
          "đăng nhập hết hạn.")
    return EXIT_FAILED if report.failed else 0


def _period(session, args, plan) -> None:
    """--period CODE (a preset of Nghị định 09/2019 under the office's rule) fills --from and --to."""
    if not getattr(args, "period", None):
        return
    try:
        chosen = periods.from_code(args.period, plan.year, rule=settings_service.reporting(session).rule)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    args.date_from, args.date_to = chosen.start, chosen.end


def cmd_report(engine, args) -> int:
    if args.date_from and args.date_to and args.date_to < args.date_from:
        raise ValidationFailed("Ngày bắt đầu (--from) phải trước ngày kết thúc (--to).")
    # The CLI runs on the server with database access: it reads as a viewer, it never writes.
    actor = Actor(user_id=0, username="cli", role=Role.VIEWER, full_name="Dòng lệnh")
    with session_scope(engine) as session:
        plan = plan_service.find_plan(session, args.plan)
        _period(session, args, plan)
        office = settings_service.office(session)
        if args.signer_name is not None:
            office = replace(office, signer_name=" ".join(args.signer_name.split()))
        if args.signer_title is not None:
            office = replace(office, signer_title=" ".join(args.signer_title.split()).upper())
        board, docx, xlsx = report_service.build_report(
            session, actor=actor, plan_id=plan.id, date_from=args.date_from, date_to=args.date_to,
            today=args.today or clock.today(), office=office)
    try:
        args.out.write_bytes(docx)
        if args.xlsx:
            args.xlsx.write_bytes(xlsx)
    except OSError as exc:
        print(f"Lỗi: không ghi được tệp: {exc}", file=sys.stderr)
        return EXIT_FAILED
    h = board.headline
    print(f"Đã ghi báo cáo {args.out}" + (f" và {args.xlsx}" if args.xlsx else "")
          + f": {format_number(h.items)} công việc, {format_number(h.done)} hoàn thành, "
          f"{format_number(h.overdue)} quá hạn.")
    return 0


def cmd_figures(engine, args) -> int:
    if args.date_from and args.date_to and args.date_to < args.date_from:
        raise ValidationFailed("Ngày bắt đầu (--from) phải trước ngày kết thúc (--to).")
    actor = Actor(user_id=0, username="cli", role=Role.VIEWER, full_name="Dòng lệnh")
    today = args.today or clock.today()
    with session_scope(engine) as session:
        plan = plan_service.find_plan(session, args.plan)
        _period(session, args, plan)
        unit_id = unit_service.find_unit(session, args.unit).id if args.unit else None
        filters, start = report_service.report_filters(
            dashboard.Filters(plan_id=plan.id, date_from=args.date_from, date_to=args.date_to, unit_id=unit_id), today)
        board = dashboard.build(session, actor=actor, filters=filters, today=today, include_flow=False,
                                period_start=start or dt.date(plan.year, 1, 1))
        data = dashboard.figures_dict(board)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    h = board.headline
    print(f"Kế hoạch {data['plan']}, số liệu tính đến hết ngày {format_date(board.cutoff)}:")
    for label, value in report_service.headline_rows(board):
        print(f"  {label}: {format_percent(value) if isinstance(value, float) else format_number(value)}")
    print(f"  ({h.items} = {h.done_on_time} + {h.done_late} + {h.in_progress} + {h.overdue})")
    return 0


def _error_table(errors: list[import_service.RowError]) -> str:
    """The import's problems as an aligned text table: Dòng | Cột | Giá trị | Lỗi."""
    rows = [("Dòng", "Cột", "Giá trị", "Lỗi")] + [
        (str(e.row or ""), e.column, e.value.replace("\n", " ")[:40], e.reason) for e in errors]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(" | ".join([*(r[i].ljust(widths[i]) for i in range(3)), r[3]]) for r in rows)


def cmd_import(engine, args) -> int:
    try:
        data = open(args.file, "rb").read()
    except OSError as exc:
        print(f"Lỗi: không mở được tệp {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    try:
        mapping = parse_map(args.map) if args.map else None
    except KeyError as exc:
        print(f"Lỗi: --map: {exc.args[0]}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    with session_scope(engine) as session:
        plan = plan_service.find_plan(session, args.plan)
        try:
            layout = import_service.detect_layout(session, plan=plan, data=data)
            if mapping:
                layout = layout.with_mapping(mapping)
            if not layout.template:
                print(f"Tệp không theo mẫu: dòng tiêu đề là dòng {layout.header_row} (trang “{layout.sheet}”); "
                      "các cột được hiểu như sau (sửa bằng --map \"Tên cột=trường,…\"):")
                for line in layout.describe():
                    print(f"  {line}")
            result = import_service.import_items(session, actor=work_item_service.cli_actor(), plan_id=plan.id,
                                                 data=data, dry_run=args.dry_run, on_conflict=args.on_conflict,
                                                 mapping=mapping, recurrence=args.recurring)
            if mapping and not args.dry_run and not layout.template:
                settings_service.remember_import_mapping(session, actor=work_item_service.cli_actor(),
                                                         signature=layout.signature, mapping=layout.mapping())
        except KeyError as exc:
            print(f"Lỗi: --map: {exc.args[0]}", file=sys.stderr)
            return EXIT_BAD_REQUEST
        except import_service.ImportFailed as exc:
            print(f"{exc} Danh sách lỗi:", file=sys.stderr)
            print(_error_table(exc.errors), file=sys.stderr)
            return EXIT_FAILED
        except import_service.ImportConflict as exc:
            print(f"Lỗi: {exc} (tùy chọn --on-conflict keep hoặc overwrite)", file=sys.stderr)
            _print_conflicts(exc.conflicts, sys.stderr)
            return EXIT_FAILED
    print(result.summary())
    guesses = list(dict.fromkeys((r.row, n) for r in result.rows for n in r.notes))
    if guesses:
        print("Các chỗ đã đối chiếu hoặc suy đoán (kiểm tra lại):")
        for slot, note in guesses:
            print(f"  Dòng {slot}: {note}")
    _print_conflicts(result.conflicts, sys.stdout)
    return 0


def _print_conflicts(conflicts, out) -> None:
    for c in conflicts:
        print(f"  Dòng {c.row}: công việc #{c.item_id} “{c.title}” đã được {c.who()} sửa: {c.describe()}", file=out)


def cmd_export(engine, args) -> int:
    with session_scope(engine) as session:
        plan = plan_service.find_plan(session, args.plan)
        data = import_service.export_items(session, actor=work_item_service.cli_actor(),
                                           filters=work_item_lists.ItemFilter(plan_id=plan.id))
        count = len(work_item_lists.list_items(session, actor=work_item_service.cli_actor(),
                                               filters=work_item_lists.ItemFilter(plan_id=plan.id)))
    with open(args.file, "wb") as f:
        f.write(data)
    print(f"Đã xuất {count} công việc của kế hoạch {plan.code} ra tệp {args.file}.")
    return 0


def cmd_backup(engine, args) -> int:
    from tracker import backup
    from tracker.services.evidence import upload_dir

    files = None if args.no_files else upload_dir()
    summary = backup.backup(engine, args.file, files_dir=files)
    rows = sum(summary.tables.values())
    print(f"Đã sao lưu {rows} dòng của {len(summary.tables)} bảng (lược đồ {summary.revision}) và "
          f"{summary.files} tệp minh chứng vào {args.file}.")
    return 0


def cmd_restore(engine, args) -> int:
    from tracker import backup
    from tracker.services.evidence import upload_dir

    if not Path(args.file).is_file():
        print(f"Lỗi: không tìm thấy tệp sao lưu “{args.file}”.", file=sys.stderr)
        return EXIT_BAD_REQUEST
    try:
        summary = backup.restore(engine, args.file, replace=args.replace, files_dir=upload_dir(),
                                 trust_unsigned=args.trust_unsigned,
                                 progress=lambda table, n: print(f"  {table}: {n} dòng", flush=True))
    except backup.BackupError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    print(f"Đã khôi phục {sum(summary.tables.values())} dòng và {summary.files} tệp minh chứng từ {args.file}; "
          "cơ sở dữ liệu đã ở phiên bản lược đồ mới nhất.")
    return 0


def _item_ids(value: str) -> list[int]:
    try:
        return [int(v) for v in value.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"danh sách số công việc “{value}” không hợp lệ (ví dụ 12,15,40)") from None


def cmd_rollover(engine, args) -> int:
    actor = work_item_service.cli_actor()
    with session_scope(engine) as session:
        source = plan_service.find_plan(session, args.plan)
        ids = args.items
        if args.all_items:
            ids = [r.id for r in work_item_lists.list_items(
                session, actor=actor, filters=work_item_lists.ItemFilter(plan_id=source.id))]
        preview = rollover_service.preview_rollover(session, actor=actor, source_plan_id=source.id,
                                                    new_code=args.code, new_title=args.title, item_ids=ids)
        print(preview.summary())
        for c in preview.items:
            print(f"  #{c.source_item_id} ({c.task_label}) {c.title} — {c.lead_unit}, "
                  f"{format_date(c.start_date) or '…'} – {format_date(c.due_date) or '…'}")
        for r in preview.replacements:
            print(f"  Thay đơn vị ({r.role.lower()}) của #{r.source_item_id}: {r.old_unit} → "
                  f"{r.new_unit or '(bỏ, không có đơn vị kế thừa)'}")
        for problem in preview.problems:
            print(f"Lỗi: {problem}", file=sys.stderr)
        if preview.problems:
            return EXIT_FAILED
        if not args.yes:
            print("Chưa ghi gì (xem trước). Chạy lại với --yes để tạo kế hoạch.")
            return 0
        plan, _ = rollover_service.apply_rollover(session, actor=actor, source_plan_id=source.id, new_code=args.code,
                                                  new_title=args.title, item_ids=ids)
        print(f"Đã tạo kế hoạch {plan.code} (năm {plan.year}) với {len(preview.items)} công việc.")
    return 0


def cmd_plan_from(engine, args) -> int:
    from tracker import decision_text
    from tracker.services import catalog_admin

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"Lỗi: không đọc được tệp {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    if path.suffix.lower() == ".docx":
        try:
            draft = decision_text.read(data)
        except Exception:  # not a Word file after all (python-docx raises several kinds)
            print(f"Lỗi: tệp {path.name} không phải tệp Word (.docx) đọc được.", file=sys.stderr)
            return EXIT_BAD_REQUEST
    else:
        draft = decision_text.read(text=data.decode("utf-8", errors="replace"))
    if args.year:
        draft.year = args.year
    print(f"Quyết định số: {draft.decision_no or '(không thấy)'}")
    print(f"Ngày ban hành: {format_date(draft.issued_on) or '(không thấy)'}")
    print(f"Người ban hành: {draft.issuer or '(không thấy)'}")
    print(f"Tên kế hoạch: {draft.title or '(không thấy)'}")
    print(f"Năm: {draft.year or '(không thấy)'}")
    print(f"Nhiệm vụ: {len(draft.tasks)}, thiếu nội dung: "
          + (", ".join(f"({t.label})" for t in draft.tasks if t.text is None) or "không"))
    for t in draft.tasks:
        print(f"  ({t.label}) {t.text if t.text else '[' + plan_service.MISSING_TEXT_LABEL + ']'}")
    for note in draft.notes:
        print(f"Lưu ý: {note}")
    if args.dry_run:
        print("Chưa ghi gì (--dry-run).")
        return 0
    code = args.code or draft.decision_no
    with session_scope(engine) as session:
        plan = catalog_admin.create_plan_from_decision(
            session, actor=work_item_service.cli_actor(), code=code or "", draft=draft,
            source_filename=path.name if path.suffix.lower() == ".docx" else None,
            source=data if path.suffix.lower() == ".docx" else None)
        print(f"Đã tạo kế hoạch {plan.code} (năm {plan.year}) với {len(plan.tasks)} nhiệm vụ.")
    return 0


def cmd_follow_successors(engine, args) -> int:
    from tracker.services import catalog_admin

    today = clock.today()
    with session_scope(engine) as session:
        ended = catalog_admin.ended_units(session, today=today)
        if not ended:
            print("Không có đơn vị đã kết thúc hoạt động nào còn công việc hay tài khoản đang dùng.")
            return 0
        for e in ended:
            print(f"{e.name} (kết thúc {format_date(e.ended_on)}) → {e.successor_name or '(chưa có đơn vị kế thừa)'}: "
                  f"{e.open_items} việc chủ trì, {e.coordinated_items} việc phối hợp, {e.open_requests} yêu cầu "
                  f"giải trình đang mở; tài khoản: {', '.join(n for _, n, _ in e.accounts) or 'không'}")
        if not args.yes:
            print("Chưa chuyển gì (xem trước). Chạy lại với --yes để chuyển công việc sang đơn vị kế thừa.")
            return 0
        results = catalog_admin.follow_successors(session, actor=work_item_service.cli_actor(), today=today)
        for r in results:
            print(f"Đã chuyển {r.unit} → {r.successor}: {len(r.moved_items)} việc chủ trì, "
                  f"{len(r.coordinator_items)} việc phối hợp.")
        if any(e.successor_id is None for e in ended):
            print("Đơn vị chưa có đơn vị kế thừa: Văn phòng chọn ở Quản trị danh mục → Sáp nhập đơn vị.")
    return 0


def cmd_ics_serve(engine, args) -> int:
    from tracker.ics_server import make_server

    server = make_server(engine, args.host, args.port)
    print(f"Đang phục vụ lịch tại http://{args.host}:{server.server_port}/lich/<mã>.ics (Ctrl+C để dừng).",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_bench(_engine, args) -> int:
    import os
    import tempfile

    from tracker import bench

    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    pg_url = args.postgres_url or os.environ.get("TRACKER_BENCH_POSTGRES_URL") or None
    lines: list[str] = []

    def echo(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="tracker-bench-"))
    bench.run(sizes=sizes, postgres_url=pg_url, repeat=args.repeat, workdir=workdir,
              skip=set(filter(None, args.skip.split(","))), echo=echo, load_sessions=args.load_sessions,
              load_think=args.load_think, load_rounds=args.load_rounds,
              load_sizes=frozenset(int(x) for x in args.load_sizes.split(",") if x.strip()),
              load_one_address=args.load_one_address,
              load_processes=tuple(int(x) for x in args.load_processes.split(",") if x.strip()))
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"Đã ghi bảng kết quả vào {args.markdown}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tracker", description="Theo dõi kế hoạch truyền thông Bộ Nội vụ")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="tạo/nâng cấp cơ sở dữ liệu và nạp danh mục").set_defaults(func=cmd_init)

    p = sub.add_parser("plans", help="liệt kê kế hoạch")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plans)

    p = sub.add_parser("tasks", help="nhiệm vụ trọng tâm của một kế hoạch")
    p.add_argument("--plan", required=True, help="mã kế hoạch, số quyết định hoặc năm")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("units", help="liệt kê đơn vị")
    p.add_argument("--active-on", type=_parse_date, help="chỉ các đơn vị còn hoạt động vào ngày này")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_units)

    user = sub.add_parser("user", help="tài khoản").add_subparsers(dest="user_command", required=True)
    p = user.add_parser("add", help="tạo tài khoản (mật khẩu nhập từ bàn phím hoặc stdin)")
    p.add_argument("username")
    p.add_argument("--role", required=True, help="admin, unit_head, staff, leader, viewer")
    p.add_argument("--unit", help="mã đơn vị (bắt buộc với unit_head và staff)")
    p.add_argument("--full-name")
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("unlock", help="mở khóa đăng nhập (xóa bộ đếm sai mật khẩu) của một tài khoản")
    p.add_argument("username")
    p.set_defaults(func=cmd_user_unlock)
    p = user.add_parser("unlock-address", help="mở khóa đăng nhập của một địa chỉ IP (xóa bộ đếm của địa chỉ, "
                                               "ví dụ địa chỉ NAT chung của một cơ quan)")
    p.add_argument("address")
    p.set_defaults(func=cmd_user_unlock_address)

    p = sub.add_parser("demo", help="tạo dữ liệu mẫu có tính xác định")
    p.add_argument("--items", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--plan", default="184/QĐ-BNV")
    p.add_argument("--as-of", type=_parse_date, help="ngày chốt dữ liệu (mặc định 30/09 năm kế hoạch)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("remind", help="gửi thư nhắc việc cho đơn vị: quá hạn, sắp đến hạn, giải trình, kỳ báo cáo")
    p.add_argument("--dry-run", action="store_true", help="chỉ in nội dung thư, không gửi")
    p.add_argument("--today", type=_parse_date, help="ngày nhắc (mặc định hôm nay)")
    p.add_argument("--within", type=int, default=7, help="số ngày tới tính là sắp đến hạn (mặc định 7)")
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("jobs", help="việc định kỳ: nhắc việc, gửi thư thông báo, kết thúc phiên hết hạn "
                                    "(chạy lặp lại không gửi trùng)")
    p.add_argument("--today", type=_parse_date, help="ngày chạy (mặc định hôm nay)")
    p.add_argument("--within", type=int, default=7, help="số ngày tới tính là sắp đến hạn (mặc định 7)")
    p.set_defaults(func=cmd_jobs)

    p = sub.add_parser("import", help="nhập công việc từ tệp Excel theo mẫu hoặc theo bố cục của đơn vị "
                                      "(kiểm tra toàn bộ tệp trước)")
    p.add_argument("file", help="tệp .xlsx")
    p.add_argument("--plan", required=True, help="mã kế hoạch, số quyết định hoặc năm")
    p.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")
    p.add_argument("--on-conflict", choices=[import_service.KEEP, import_service.OVERWRITE],
                   help="dòng thuộc công việc đã được sửa sau khi xuất tệp: giữ nội dung trên hệ thống (keep) "
                        "hoặc ghi đè bằng tệp (overwrite); mặc định không nhập gì khi có xung đột")
    p.add_argument("--map", help="gán cột cho trường, ví dụ \"Nội dung nhiệm vụ=title,Cơ quan chủ trì=lead_unit,"
                                 "Thời gian hoàn thành=due_date\" (trường: " + ", ".join(sorted(MAP_NAMES)) + ")")
    p.add_argument("--recurring", choices=list(RECURRENCE_LABELS), default=MONTH,
                   help="việc “Thường xuyên”: mỗi tháng một công việc (month, mặc định), mỗi quý (quarter) "
                        "hoặc một công việc cả năm (year)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="xuất công việc của một kế hoạch ra tệp Excel theo mẫu")
    p.add_argument("file", help="tệp .xlsx sẽ ghi")
    p.add_argument("--plan", required=True, help="mã kế hoạch, số quyết định hoặc năm")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("rollover", help="tạo kế hoạch năm sau từ một kế hoạch (xem trước; ghi khi có --yes)")
    p.add_argument("--plan", required=True, help="kế hoạch nguồn: mã, số quyết định hoặc năm")
    p.add_argument("--code", required=True, help="mã kế hoạch mới, ví dụ KH-2025")
    p.add_argument("--title", help="tên kế hoạch mới (mặc định: thay năm trong tên kế hoạch nguồn)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--items", type=_item_ids, help="số các công việc chuyển sang, cách nhau bằng dấu phẩy "
                                                       "(mặc định: các việc lặp lại hằng năm)")
    which.add_argument("--all-items", action="store_true", help="chuyển mọi công việc")
    p.add_argument("--yes", action="store_true", help="ghi thật (không có: chỉ xem trước)")
    p.set_defaults(func=cmd_rollover)

    p = sub.add_parser("report", help="xuất báo cáo Word (và Excel) kết quả thực hiện kế hoạch trong một kỳ")
    p.add_argument("--plan", required=True, help="mã kế hoạch, số quyết định hoặc năm")
    p.add_argument("--from", dest="date_from", type=_parse_date, help="từ ngày (dd/mm/yyyy)")
    p.add_argument("--to", dest="date_to", type=_parse_date, help="đến ngày (dd/mm/yyyy)")
    p.add_argument("--period", help="kỳ chọn sẵn theo Nghị định 09/2019 (thay --from/--to): month-1…month-12, "
                                    "quarter-1…quarter-4, 6m, 9m, year — năm của kế hoạch")
    p.add_argument("--out", required=True, type=Path, help="tệp .docx")
    p.add_argument("--xlsx", type=Path, help="tệp .xlsx số liệu kèm theo")
    p.add_argument("--today", type=_parse_date, help="ngày tính số liệu (mặc định hôm nay)")
    p.add_argument("--signer-name", help="họ tên người ký (thay cho thiết lập của Văn phòng)")
    p.add_argument("--signer-title", help="chức vụ người ký, ví dụ THỨ TRƯỞNG (thay cho thiết lập của Văn phòng)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("figures", help="số liệu của một kỳ tại ngày chốt: bốn nhóm, các tỷ lệ, theo nhiệm vụ và đơn vị")
    p.add_argument("--plan", required=True, help="mã kế hoạch, số quyết định hoặc năm")
    p.add_argument("--from", dest="date_from", type=_parse_date, help="đầu kỳ (dd/mm/yyyy; mặc định đầu năm kế hoạch)")
    p.add_argument("--to", dest="date_to", type=_parse_date, help="cuối kỳ = ngày chốt số liệu (mặc định hôm nay)")
    p.add_argument("--period", help="kỳ chọn sẵn theo Nghị định 09/2019 (thay --from/--to): month-1…month-12, "
                                    "quarter-1…quarter-4, 6m, 9m, year — năm của kế hoạch")
    p.add_argument("--unit", help="mã hoặc tên đơn vị chủ trì")
    p.add_argument("--json", action="store_true", help="in JSON (cho hệ thống khác đọc)")
    p.add_argument("--today", type=_parse_date, help="ngày hôm nay (mặc định theo đồng hồ)")
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("backup", help="sao lưu toàn bộ dữ liệu ra một tệp ZIP đọc được không cần ứng dụng")
    p.add_argument("file", type=Path, help="tệp .zip")
    p.add_argument("--no-files", action="store_true", help="không kèm tệp minh chứng")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="khôi phục từ tệp sao lưu (cơ sở dữ liệu đích phải trống, trừ khi --replace)")
    p.add_argument("file", type=Path, help="tệp .zip tạo bởi lệnh backup")
    p.add_argument("--replace", action="store_true",
                   help="thay toàn bộ dữ liệu hiện có (chỉ khi mọi dòng của bản sao lưu nạp được)")
    p.add_argument("--trust-unsigned", action="store_true",
                   help="khôi phục cả bản sao lưu không có chữ ký hợp lệ với khóa sao lưu của máy này")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("follow-successors",
                       help="chuyển công việc đang mở của đơn vị đã kết thúc hoạt động sang đơn vị kế thừa")
    p.add_argument("--yes", action="store_true", help="chuyển thật (mặc định chỉ xem trước)")
    p.set_defaults(func=cmd_follow_successors)

    p = sub.add_parser("plan-from", help="tạo kế hoạch mới từ tệp Quyết định (.docx) hoặc văn bản (.txt)")
    p.add_argument("file", help="tệp .docx của Quyết định, hoặc tệp văn bản UTF-8")
    p.add_argument("--code", help="mã kế hoạch (mặc định: số Quyết định)")
    p.add_argument("--year", type=int, help="năm của kế hoạch (mặc định: đọc từ tên kế hoạch)")
    p.add_argument("--dry-run", action="store_true", help="chỉ in kết quả đọc, không ghi gì")
    p.set_defaults(func=cmd_plan_from)

    p = sub.add_parser("ics-serve", help="phục vụ địa chỉ lịch (.ics) riêng của từng người cho Outlook, trong mạng nội bộ")
    p.add_argument("--host", default="127.0.0.1", help="địa chỉ lắng nghe (mặc định 127.0.0.1)")
    p.add_argument("--port", type=int, default=8502, help="cổng (mặc định 8502)")
    p.set_defaults(func=cmd_ics_serve)

    p = sub.add_parser("bench", help="đo tốc độ với 1.000, 10.000 và 100.000 công việc (in bảng trung vị)")
    p.add_argument("--sizes", default="1000,10000,100000", help="số công việc, cách nhau bởi dấu phẩy")
    p.add_argument("--postgres-url", help="URL quản trị PostgreSQL để đo cả PostgreSQL "
                                          "(mặc định TRACKER_BENCH_POSTGRES_URL)")
    p.add_argument("--repeat", type=int, default=5, help="số lần lặp mỗi phép đo (mặc định 5)")
    p.add_argument("--workdir", help="thư mục chứa các CSDL SQLite tạm")
    p.add_argument("--skip", default="",
                   help="bỏ qua: dashboard,move,bulk,fanout,pages,calendar,report,import,browser,chromium-pages,load")
    p.add_argument("--load-sessions", type=int, default=60,
                   help="phép đo tải: số trưởng đơn vị làm việc cùng lúc (mặc định 60, như ngày đến hạn)")
    p.add_argument("--load-think", type=float, default=10.0,
                   help="phép đo tải: thời gian nghỉ trung bình giữa hai lần bấm, giây (mặc định 10)")
    p.add_argument("--load-rounds", type=int, default=1, help="phép đo tải: số vòng mỗi người (mặc định 1)")
    p.add_argument("--load-sizes", default="10000", help="phép đo tải chạy ở các cỡ này (mặc định 10000)")
    p.add_argument("--load-one-address", action="store_true",
                   help="phép đo tải: mọi người đăng nhập từ cùng một địa chỉ (một bộ sau một NAT)")
    p.add_argument("--load-processes", default="1,2",
                   help="phép đo tải: 1 tiến trình, 2 tiến trình sau nginx, hay cả hai (mặc định 1,2)")
    p.add_argument("--markdown", help="ghi bảng kết quả ra tệp Markdown")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    engine = make_engine(database_url())
    try:
        return args.func(engine, args)
    except (NotFound, ValidationFailed) as exc:
        for problem in getattr(exc, "problems", [str(exc)]):
            print(f"Lỗi: {problem}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    except CatalogError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    except TrackerError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())

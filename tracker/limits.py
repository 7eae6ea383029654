"""Upper bounds on what people type: beyond them it is a typing mistake (or an attack), refused with a message.

One place, used by the services (which refuse, naming the field and the limit) and the forms
(`max_chars` on the Streamlit inputs, from the same table). Text limits also keep every value
inside its database column: a `String(200)` on PostgreSQL would otherwise fail with a database error.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_QTY = 1_000_000  # a target or an output (tin bài, cuộc họp báo...): far above any real plan
MAX_MONEY = 10_000_000_000_000  # 10.000 tỷ đồng, far above any communications budget; fits BIGINT


@dataclass(frozen=True)
class TextLimit:
    label: str  # the field as the form names it
    max_chars: int


TEXT_LIMITS = {
    # work items (tracker/services/work_items.py, imports)
    "title": TextLimit("Nội dung công việc", 1000),
    "description": TextLimit("Mô tả", 5000),
    "item_note": TextLimit("Ghi chú", 5000),
    "channel_text": TextLimit("Kênh/Sản phẩm", 300),  # String(300)
    "target_unit": TextLimit("Đơn vị tính của chỉ tiêu", 40),  # String(40)
    # progress reports (tracker/services/progress.py)
    "blocked_reason": TextLimit("Lý do vướng mắc", 2000),
    "progress_note": TextLimit("Ghi chú", 5000),  # also a move's or a deletion's reason
    "evidence_url": TextLimit("Đường dẫn minh chứng", 500),
    "evidence_urls": TextLimit("Đường dẫn minh chứng", 5500),  # the form's box: up to 10 links, one a line
    # explanations
    "question": TextLimit("Nội dung yêu cầu giải trình", 4000),
    "answer": TextLimit("Nội dung giải trình", 4000),
    # comments (tracker/services/comments.py)
    "comment": TextLimit("Nội dung bình luận", 4000),
    # reporting rounds
    "round_name": TextLimit("Tên kỳ báo cáo", 200),  # String(200)
    "round_note": TextLimit("Ghi chú", 4000),
    "round_summary": TextLimit("Nội dung báo cáo", 10_000),
    # catalog
    "task_text": TextLimit("Nội dung nhiệm vụ", 5000),
    "task_note": TextLimit("Ghi chú", 4000),
    "unit_name": TextLimit("Tên đơn vị", 200),  # String(200)
    "unit_short_name": TextLimit("Tên viết tắt", 100),  # String(100)
    "plan_code": TextLimit("Mã kế hoạch", 60),  # String(60)
    "plan_title": TextLimit("Tên kế hoạch", 1000),
    "decision_no": TextLimit("Số Quyết định", 60),  # String(60)
    "issuer": TextLimit("Cơ quan, người ban hành", 200),  # String(200)
    # accounts
    "username": TextLimit("Tên đăng nhập", 80),  # String(80)
    "full_name": TextLimit("Họ và tên", 200),  # String(200)
    "email": TextLimit("Thư điện tử", 200),  # String(200)
    # search boxes: longer than any title is never a real search
    "search": TextLimit("Từ khóa tìm kiếm", 200),
}


def max_chars(field: str) -> int:
    """The most characters `field` takes (for `max_chars=` on a form input)."""
    return TEXT_LIMITS[field].max_chars


def too_long(field: str, value: str | None) -> str | None:
    """The Vietnamese message when `value` is longer than `field` allows, else None."""
    limit = TEXT_LIMITS[field]
    if value is None or len(value) <= limit.max_chars:
        return None
    return (f"{limit.label} không được dài quá {limit.max_chars:,} ký tự (đang có {len(value):,} ký tự)."
            .replace(",", "."))

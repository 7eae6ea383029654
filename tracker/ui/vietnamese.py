"""Streamlit's and plotly's own interface texts in Vietnamese.

Streamlit draws some texts itself, in English, with no setting to change them: the file uploader
("Drag and drop files here", "Browse files", "Limit 200MB per file"), form hints ("Press Enter to
submit form"), empty lists ("No results"), the table and chart toolbars, the calendar.
tracker/ui/browser.py mounts a small component that replaces exactly the texts below wherever
Streamlit shows them, tooltips included. Plotly's texts (its toolbar, month names on the axes) go
through plotly's own locale: PLOTLY_CONFIG.
"""

from __future__ import annotations

STRINGS = {
    # File uploader
    "Drag and drop file here": "Kéo thả tệp vào đây",
    "Drag and drop files here": "Kéo thả các tệp vào đây",
    "Browse files": "Chọn tệp",
    "Upload": "Chọn tệp",
    "Upload file": "Chọn tệp",
    "Upload files": "Chọn tệp",
    "Remove file": "Bỏ tệp",
    "file upload": "Tải tệp lên",
    "Delete": "Xóa",
    "Previous page": "Trang trước",
    "Next page": "Trang sau",
    # Forms and text inputs
    "Press Enter to submit form": "Nhấn phím ↵ để gửi",
    "Press Enter to apply": "Nhấn phím ↵ để áp dụng",
    "Press ⌘+Enter to submit form": "Nhấn ⌘+↵ để gửi",
    "Press Ctrl+Enter to submit form": "Nhấn Ctrl+↵ để gửi",
    "Press ⌘+Enter to apply": "Nhấn ⌘+↵ để áp dụng",
    "Press Ctrl+Enter to apply": "Nhấn Ctrl+↵ để áp dụng",
    # Select boxes
    "No results": "Không có kết quả",
    "Choose an option": "Chọn một mục",
    "Choose options": "Chọn các mục",
    "Select all": "Chọn tất cả",
    "Clear all": "Bỏ chọn tất cả",
    "Clear": "Xóa",
    "Clear value": "Xóa",
    "Open": "Mở",
    "Remove": "Bỏ",
    "Selected": "Đã chọn",
    # Tables
    "Download as CSV": "Tải xuống (CSV)",
    "Search": "Tìm kiếm",
    "Fullscreen": "Toàn màn hình",
    "Close fullscreen": "Thu nhỏ",
    "Show/hide columns": "Hiện/ẩn cột",
    "Sort ascending": "Sắp xếp tăng dần",
    "Sort descending": "Sắp xếp giảm dần",
    "Format": "Định dạng",
    "Autosize": "Tự chỉnh độ rộng",
    "Pin column": "Ghim cột",
    "Unpin column": "Bỏ ghim cột",
    "Hide column": "Ẩn cột",
    "Copy": "Sao chép",
    "Copied": "Đã sao chép",
    "Copy to clipboard": "Sao chép",
    "Automatic": "Tự động",
    "Localized": "Theo ngôn ngữ",
    "Plain": "Số thường",
    "Compact": "Rút gọn",
    "Percent": "Phần trăm",
    "Scientific": "Khoa học",
    "Engineering": "Kỹ thuật",
    "Accounting": "Kế toán",
    "Relative": "Tương đối",
    "Calendar": "Lịch",
    "Selected values": "Đã chọn",
    # Charts
    "Clear selection": "Bỏ chọn",
    "Download plot as a PNG": "Tải ảnh biểu đồ (PNG)",
    "Download plot as a png": "Tải ảnh biểu đồ (PNG)",
    # App frame
    "Close": "Đóng",
    "Running...": "Đang xử lý…",
    "Stop": "Dừng",
    "Rerun": "Chạy lại",
    "Settings": "Cài đặt",
    "Print": "In",
    "About": "Giới thiệu",
    "Main menu": "Trình đơn",
    "Sidebar": "Thanh bên",
    "App pages": "Các trang",
    "Link to heading": "Liên kết đến mục này",
    "Collapse sidebar": "Thu gọn thanh bên",
    "Expand sidebar": "Mở thanh bên",
    "Skip to main content": "Đến nội dung chính",
    "View more": "Xem thêm",
    "View less": "Thu gọn",
    "Connecting": "Đang kết nối",
    # An address that names no page (tracker/ui/first_run.js closes the box when the page exists)
    "Page not found": "Không tìm thấy trang",
    "The page that you have requested does not seem to exist. Running the app's main page.":
        "Địa chỉ này không ứng với trang nào. Ứng dụng mở trang chính.",
    "Please wait...": "Vui lòng chờ…",
    "Show password text": "Hiện ký tự đã gõ",
    "Hide password text": "Ẩn ký tự đã gõ",
    "Show password": "Hiện ký tự đã gõ",
    "Hide password": "Ẩn ký tự đã gõ",
    # Calendar (date inputs)
    "Choose date": "Chọn ngày",
    "Choose date range": "Chọn khoảng ngày",
    "Previous month.": "Tháng trước",
    "Next month.": "Tháng sau",
    "Previous month": "Tháng trước",
    "Next month": "Tháng sau",
    **{m: f"Tháng {i}" for i, m in enumerate(
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
         "November", "December"], start=1)},
    **dict(zip(["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"], ["CN", "T2", "T3", "T4", "T5", "T6", "T7"])),
}

# (regular expression on a whole text, replacement) for texts with a number or a name in them.
PATTERNS = [
    (r"^Limit (\d+)\s?MB per file(?: • (.+))?$", r"Tối đa $1 MB mỗi tệp · $2"),
    (r"^(\d+)\s?MB per file(?: • (.+))?$", r"Tối đa $1 MB mỗi tệp · $2"),
    (r"^Remove (.+)$", r"Bỏ $1"),
    (r"^Help for (.+)$", r"Giải thích: $1"),
    (r"^(.+) start date$", r"$1 (từ ngày)"),
    (r"^(.+) end date$", r"$1 (đến ngày)"),
    (r"^day, (.+)$", r"ngày, $1"),
    (r"^month, (.+)$", r"tháng, $1"),
    (r"^year, (.+)$", r"năm, $1"),
    (r"^Showing page (\d+) of (\d+)$", r"Trang $1/$2"),
    (r"^(\d+) results?$", r"$1 kết quả"),
    (r"^Choose a date\.?(.*)$", r"Chọn ngày$1"),
    (r"^Selected date range is (.*)$", r"Khoảng ngày đã chọn: $1"),
    (r"^Selected date is (.*)$", r"Ngày đã chọn: $1"),
]

_MONTHS = [f"Tháng {i}" for i in range(1, 13)]
PLOTLY_LOCALE = {
    "dictionary": {
        "Autoscale": "Tự co giãn", "Box Select": "Chọn vùng", "Click to enter Colorscale title": "Tiêu đề thang màu",
        "Compare data on hover": "So sánh khi rê chuột", "Double-click to zoom back out": "Nhấn đúp để thu về",
        "Download plot": "Tải ảnh biểu đồ", "Download plot as a png": "Tải ảnh biểu đồ (PNG)",
        "Lasso Select": "Chọn tự do", "Orbital rotation": "Xoay", "Pan": "Kéo", "Produced with Plotly.js": "",
        "Reset": "Đặt lại", "Reset axes": "Đặt lại trục", "Reset view": "Đặt lại khung nhìn",
        "Show closest data on hover": "Hiện điểm gần nhất khi rê chuột", "Snapshot succeeded": "Đã lưu ảnh",
        "Sorry, there was a problem downloading your snapshot!": "Không tải được ảnh biểu đồ.",
        "Taking snapshot - this may take a few seconds": "Đang tạo ảnh…", "Toggle Spike Lines": "Bật/tắt đường gióng",
        "Zoom": "Phóng to vùng", "Zoom in": "Phóng to", "Zoom out": "Thu nhỏ", "Turntable rotation": "Xoay",
        "Toggle show closest data on hover": "Bật/tắt hiện điểm gần nhất", "trace": "chuỗi",
    },
    "format": {
        "days": ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
        "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
        "months": _MONTHS, "shortMonths": [f"Th{i}" for i in range(1, 13)],
        "date": "%d/%m/%Y", "decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " đ"],
    },
}
PLOTLY_CONFIG = {"displaylogo": False, "locale": "vi", "locales": {"vi": PLOTLY_LOCALE}}

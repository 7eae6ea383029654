"""Text helpers shared by every screen."""

import pytest

from tracker.text import shorten


@pytest.mark.parametrize("text, limit, short", [
    ("Tuyên truyền về chính sách cải cách tiền lương", 60, "Tuyên truyền về chính sách cải cách tiền lương"),
    ("Tuyên truyền về chính sách cải cách tiền lương", 30, "Tuyên truyền về chính sách…"),
    ("Tuyên truyền về chính sách, cải cách", 28, "Tuyên truyền về chính sách…"),
    ("Đẩy  mạnh\ntruyền thông", 40, "Đẩy mạnh truyền thông"),
    ("Ngheeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 10, "Ngheeeeee…"),
])
def test_shorten_cuts_at_a_word_boundary(text, limit, short):
    assert shorten(text, limit) == short
    assert len(shorten(text, limit)) <= limit

"""Passwords: argon2, Vietnamese passwords beyond 72 bytes, composed or decomposed input."""

import unicodedata

from tracker.passwords import hash_password, password_problem, verify_password


def test_hash_is_argon2_and_verifies():
    h = hash_password("mật-khẩu-an-toàn")
    assert h.startswith("$argon2id$") and "mật" not in h
    assert verify_password(h, "mật-khẩu-an-toàn")
    assert not verify_password(h, "mật-khẩu-an-toan")


def test_long_vietnamese_password_differs_after_72_bytes():
    base = "Đường về quê hương đất nước Việt Nam thân yêu của chúng ta " * 2
    assert len(base.encode()) > 72
    h = hash_password(base + "một")
    assert verify_password(h, base + "một")
    assert not verify_password(h, base + "hai")


def test_decomposed_input_verifies_against_composed_password():
    h = hash_password("Trưởng phòng")
    assert verify_password(h, unicodedata.normalize("NFD", "Trưởng phòng"))


def test_malformed_or_empty_hash_is_simply_false():
    assert not verify_password(None, "x")
    assert not verify_password("not-a-hash", "x")


def test_password_rules():
    assert "ít nhất" in password_problem("ngắn")
    assert password_problem("        ") is not None
    assert password_problem("đủ dài rồi") is None

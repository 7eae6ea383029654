"""Password hashing with argon2 (bcrypt truncates at 72 bytes; Vietnamese takes 2-3 per letter)."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 256
_hasher = PasswordHasher()


def _prepare(password: str) -> str:
    # NFC so "mật khẩu" typed on any keyboard (composed or decomposed) verifies the same.
    return unicodedata.normalize("NFC", password)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, in Vietnamese, or None."""
    if len(password) < MIN_LENGTH:
        return f"Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự."
    if len(password) > MAX_LENGTH:
        return f"Mật khẩu không được dài quá {MAX_LENGTH} ký tự."
    if not password.strip():
        return "Mật khẩu không được chỉ gồm khoảng trắng."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(_prepare(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; never raises on a wrong or malformed hash."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, _prepare(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

"""Password hashing with argon2 (bcrypt truncates at 72 bytes; Vietnamese takes 2-3 per letter)."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 256
# Argon2id at OWASP's recommended configuration (Password Storage Cheat Sheet: "a minimum configuration
# of 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism"), not argon2-cffi's default
# (RFC 9106's second option: 64 MiB, 3 passes, 4 lanes). Measured on this 2-core server: 0,02 s of CPU a
# check instead of 0,16 s; at 8:00 on a deadline day sixty people sign in within seconds, and the
# default made every sign-in half of the round's CPU (docs/benchmarks.md, "Sign-in's hash"). Hashes made
# with other settings still verify and are rehashed with these at the next sign-in (needs_rehash).
TIME_COST = 2
MEMORY_COST_KIB = 19_456
PARALLELISM = 1
_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)


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

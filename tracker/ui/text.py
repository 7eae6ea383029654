"""Rendering helpers: user or catalog text shown through markdown is escaped first."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$])")


def md(text: str | None) -> str:
    """Escape markdown (and HTML-looking) characters so text is shown exactly as written."""
    if not text:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", text)

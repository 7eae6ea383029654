"""Rendering helpers: user or catalog text shown through markdown is escaped first."""

from __future__ import annotations

import re

# Characters that make links, images, HTML, LaTeX, emphasis, code or tables anywhere in a line...
_INLINE = re.compile(r"([\\`*_\[\]<>$~|])")
# ...and those that start a heading, a list, a quote or a rule only at the start of a line.
_LINE_START = re.compile(r"^([ \t]*)([#+\-=]|\d+(?=[.)]))", re.MULTILINE)
# Streamlit's markdown turns bare URLs, "www." names and e-mail addresses into links, and ":name:"
# into an icon or an emoji, after escapes are resolved: a word joiner (U+2060, invisible) keeps them text.
_AUTOLINK = re.compile(r"(?i)(https?|www)(?=[:.])|(?=@)|(:)(?=[a-z])")
WORD_JOINER = "\u2060"


def md(text: str | None) -> str:
    """Text for st.markdown and its kin, shown exactly as written: never a link, an image, markup or a formula.

    Only what markdown would act on is escaped, so an ordinary sentence ("Đã lưu công việc số 12.")
    is passed through unchanged.
    """
    if not text:
        return ""
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)),
                           text)
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or "") + WORD_JOINER, text)

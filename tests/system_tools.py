"""One rule for tests that need a program from Debian (Chromium, LibreOffice, nginx) or the PostgreSQL server:
in CI (CI=true, set by .ci/run, which installs them) their absence fails the test; on a developer's machine
without them the test is skipped with the command that installs them."""

from __future__ import annotations

import os

import pytest


def missing(message: str) -> None:
    """Stop the test: fail under CI, skip elsewhere. Never returns."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required in CI: {message}", pytrace=False)
    pytest.skip(message)

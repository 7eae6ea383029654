"""The suite's one rule for a missing Debian program or PostgreSQL: fail in CI, skip on a developer's machine."""

import pytest

from tests.system_tools import missing


def test_a_missing_tool_fails_the_test_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI: nginx not found"):
        missing("nginx not found")


def test_a_missing_tool_skips_the_test_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="nginx not found"):
        missing("nginx not found")

"""The app's Streamlit settings (.streamlit/config.toml) that matter for more than looks."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def _config() -> dict:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))


def test_no_forced_garbage_collection_after_each_run():
    """Streamlit's default gc.collect(2) after every run holds the interpreter ~100-150 ms with this
    app's modules loaded, while the run's last messages (the board answering a drag) wait to be sent."""
    assert _config()["runner"]["postScriptGC"] is False


def test_the_browser_sends_no_usage_statistics():
    assert _config()["browser"]["gatherUsageStats"] is False

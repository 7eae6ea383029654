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


def test_the_server_upload_limit_is_the_largest_file_we_accept():
    """Streamlit's own limit is what its uploader announces: it must be ours (10 MB evidence files),
    not its default, so the widget never offers what the service refuses."""
    from tracker.services import evidence, imports

    assert _config()["server"]["maxUploadSize"] * 1024 * 1024 == max(evidence.MAX_BYTES, imports.MAX_BYTES)


def test_the_source_files_are_not_watched():
    """A code update under a running process must not reload modules into live sessions (nor show
    Streamlit's English "Source file changed" prompt): the service is restarted instead."""
    assert _config()["server"]["fileWatcherType"] == "none"

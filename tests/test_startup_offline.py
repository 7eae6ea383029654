"""Start-up fetches nothing from the internet: the server is started the way `make run` starts it
(headless, on every interface) and its log must show no external-IP lookup (checkip.amazonaws.com)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import REPO, _free_port

READY = "You can now view your Streamlit app"


def test_start_up_does_not_look_up_the_external_ip(tmp_path: Path):
    log_path = tmp_path / "streamlit.log"
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(_free_port()),
           "--server.address", "0.0.0.0"]  # as the Makefile's `run` does; headless comes from config.toml
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        # Streamlit looks the address up before it prints the "view your app" banner.
        while READY not in log_path.read_text(errors="replace") and process.poll() is None:
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = log_path.read_text(errors="replace")
    assert READY in log, log
    assert "external ip" not in log.lower() and "External URL" not in log, log
    assert "URL: http://localhost:" in log  # browser.serverAddress, the address people are told to open

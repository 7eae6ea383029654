"""docs/deploy.md and the files in deploy/ agree: each file is shown, each command and setting exists.

tests/e2e/test_deploy.py runs the nginx site itself; this checks what a browser test cannot reach:
the systemd units and the settings file.
"""

import configparser
import re
import shlex
from pathlib import Path

import pytest

from tracker.__main__ import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "deploy").rglob("*") if p.is_file())
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def test_the_guide_shows_every_file_in_deploy_and_only_files_that_exist():
    assert FILES, "deploy/ is empty"
    for path in FILES:
        assert f"({'../' + path})" in DOC, f"docs/deploy.md does not link {path}"
    for linked in re.findall(r"\]\(\.\./(deploy/[^)]+)\)", DOC):
        assert (ROOT / linked).exists(), f"docs/deploy.md links {linked}, which does not exist"


def _unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read_string(path.read_text(encoding="utf-8"))
    return unit


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_a_command_the_app_has_with_the_settings_file(path):
    service = _unit(path)["Service"]
    assert service["EnvironmentFile"] == "/etc/tracker/tracker.env"
    assert service["User"] == "tracker" and service["WorkingDirectory"] == "/opt/tracker"
    command = shlex.split(service["ExecStart"].replace("%i", "8501").replace("%%", "%"))
    if command[0] == "/bin/sh":  # the backup names its file by the date
        command = shlex.split(re.sub(r"\$\([^)]*\)", "DATE", command[-1].removeprefix("exec ")))
    assert command[0] == "/opt/tracker/.venv/bin/python" and command[1] == "-m"
    if command[2] == "streamlit":
        assert command[3:5] == ["run", "app.py"] and (ROOT / "app.py").exists()
        assert "--server.address" in command and command[command.index("--server.address") + 1] == "127.0.0.1"
    else:
        assert command[2] == "tracker"
        build_parser().parse_args(command[3:])  # exits (fails the test) on an unknown command or option


@pytest.mark.parametrize("name", ["tracker-backup", "tracker-remind", "tracker-jobs"])
def test_each_timer_starts_its_service_and_catches_up_after_a_stop(name):
    timer = _unit(ROOT / "deploy" / "systemd" / f"{name}.timer")
    assert (ROOT / "deploy" / "systemd" / f"{name}.service").exists()
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert f"{name}.timer" in DOC


def test_every_setting_in_the_example_is_one_the_app_or_streamlit_reads():
    example = (ROOT / "deploy" / "tracker.env.example").read_text(encoding="utf-8")
    names = re.findall(r"^([A-Z_]+)=", example, flags=re.M)
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tracker").rglob("*.py"))
    for name in names:
        if name.startswith("STREAMLIT_"):
            continue  # Streamlit's options by its naming rule: server.cookieSecret is STREAMLIT_SERVER_COOKIE_SECRET
        assert name in source, f"nothing in tracker/ reads {name}"
    assert "TRACKER_DATABASE_URL" in names and "TRACKER_UPLOAD_DIR" in names

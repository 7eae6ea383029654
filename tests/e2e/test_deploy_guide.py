"""docs/deploy.md followed from scratch: its ```bash blocks, read from the file, run in order in a sandbox.

tests/e2e/deploy_sandbox.py says what the sandbox moves (paths under a temporary root, free loopback
ports, a throwaway PostgreSQL cluster from scripts/pg-throwaway) and which commands it stands in for
(apt-get checks the packages, systemctl starts what the unit files say). Then a person signs in
through the guide's nginx, over HTTPS, in Chromium, as the office account the guide created. The
guide's backup, the restore of it into a scratch database and one run of the scheduled job are among
the blocks, so their output is checked too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO, _free_port, screenshot, sign_in, wait_for_app
from tests.e2e.deploy_sandbox import CONFIG_ENV, Sandbox, fresh_machine, shell_blocks, stop_everything
from tests.system_tools import missing

pytestmark = pytest.mark.e2e

GUIDE = REPO / "docs" / "deploy.md"
PASSWORD = "mat-khau-van-phong-2026"  # what the person types when `tracker user add` asks
WAIT = 60_000  # ms: a first run on a fresh process of a busy machine


@pytest.fixture
def system_programs() -> None:
    """nginx and dpkg from Debian, PostgreSQL's server; in CI their absence fails the test."""
    for program in ("nginx", "dpkg-query", "openssl", "curl"):
        if not shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
            missing(f"{program} not found (apt-get install nginx openssl curl)")
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and not shutil.which("initdb"):
        missing("PostgreSQL's server not found (apt-get install postgresql)")


@pytest.fixture
def postgres_port(system_programs):
    """A throwaway cluster standing in for the one Debian's postgresql package starts."""
    directory = tempfile.mkdtemp(prefix="deploy-guide-pg-")  # not under tmp_path: the postgres user reads it
    started = subprocess.run([str(REPO / "scripts" / "pg-throwaway"), "start", directory],
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip().splitlines()[-1]
    yield int(url.rsplit(":", 1)[1].split("/", 1)[0])
    subprocess.run([str(REPO / "scripts" / "pg-throwaway"), "stop", directory], capture_output=True, timeout=120)
    shutil.rmtree(directory, ignore_errors=True)


def _run_guide(box: Sandbox, blocks: list[str]) -> str:
    """The blocks in one bash, as one root shell would run them; returns what they printed."""
    counts: dict[str, int] = {}
    script = "set -euo pipefail\n" + "".join(
        f"echo '### block {n}'\n{box.rewrite(block, counts)}" for n, block in enumerate(blocks, 1))
    box.path("guide.sh").write_text(script, encoding="utf-8")
    box.path("rewrites-guide.json").write_text(json.dumps(counts), encoding="utf-8")
    home = box.path("root")
    env = {**os.environ, "PATH": f"{box.path('bin')}:{os.environ['PATH']}:/usr/sbin:/sbin", "HOME": str(home),
           CONFIG_ENV: str(box.save())}
    for name in ("TRACKER_DATABASE_URL", "TRACKER_UPLOAD_DIR", "TRACKER_DB", "PGHOST", "PGPORT", "PGUSER"):
        env.pop(name, None)  # nothing of the test's own setup leaks into the guide
    done = subprocess.run(["bash", str(box.path("guide.sh"))], cwd=box.root, env=env, capture_output=True,
                          text=True, input=f"{PASSWORD}\n", timeout=900)
    output = done.stdout + done.stderr
    box.path("guide.log").write_text(output, encoding="utf-8")
    assert done.returncode == 0, f"docs/deploy.md stopped (exit {done.returncode}):\n{output[-6000:]}"
    return done.stdout


def test_the_deploy_guide_from_scratch_serves_a_signed_in_person_through_nginx(
        browser, postgres_port, tmp_path):
    blocks = shell_blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 6, "docs/deploy.md lost its bash blocks"
    box = Sandbox(root=str(tmp_path / "machine"), repo=str(REPO), app_ports=(_free_port(), _free_port()),
                  http_port=_free_port(), https_port=_free_port(), pg_port=postgres_port)
    fresh_machine(box)
    try:
        output = _run_guide(box, blocks)

        # Every move the sandbox makes still finds its text: the guide and deploy/ have not drifted from it.
        counts = json.loads(box.path("rewrites-guide.json").read_text())
        for name, n in json.loads(box.path("rewrites-deploy.json").read_text()).items():
            counts[name] += n
        assert all(counts.values()), f"a sandbox rule matched nothing: {counts}"

        assert "ok\nok\n" in output  # both processes answer their health check
        backups = sorted(box.path("var", "backups", "tracker").glob("tracker-*.zip"))
        assert len(backups) == 1 and backups[0].stat().st_size > 0
        assert "Đã khôi phục" in output  # the restore check, into its scratch database
        assert "phiên đăng nhập hết hạn" in output  # the scheduled job ran once
        assert "tracker-jobs.timer" in output and "tracker-backup.timer" in output  # list-timers

        # Plain HTTP only redirects to HTTPS, under the guide's host name.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(f"http://127.0.0.1:{box.http_port}/tong-quan", timeout=10)
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"] == "https://127.0.0.1/tong-quan"

        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                      ignore_https_errors=True)  # the guide's trial certificate
        try:
            page = context.new_page()
            page.goto(f"https://127.0.0.1:{box.https_port}/")
            wait_for_app(page, timeout=WAIT)
            sign_in(page, "vanphong", PASSWORD)
            expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible(timeout=WAIT)
            expect(page.get_by_text("Page not found")).to_have_count(0)
            screenshot(page, "deploy-guide-signed-in.png")
        finally:
            context.close()
        access = box.path("var", "log", "nginx", "access.log").read_text()
        assert "GET /_stcore/host-config" in access  # the page was served through the guide's nginx
    finally:
        stop_everything(box)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

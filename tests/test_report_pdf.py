"""The Word report rendered by LibreOffice (Debian's libreoffice-writer-nogui) into a PDF: the national
heading stays on one line, "Số" and the date share a line, page numbers start on page 2.

Needs soffice and pdftotext (poppler-utils); .ci/run installs both. Without them the test is skipped on a
developer's machine and fails under CI=true."""

import datetime as dt
import re
import shutil
import subprocess

from sqlalchemy import select

from tests import dashboard_fixture
from tests.dashboard_fixture import TODAY
from tests.system_tools import missing
from tracker.models import Plan, Role
from tracker.permissions import Actor
from tracker.services import dashboard, reports
from tracker.services.dashboard import Filters
from tracker.services.demo import generate_demo

LEADER = Actor(user_id=1, username="lanh.dao", role=Role.LEADER)


def _tools():
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if soffice and pdftotext:
        return soffice, pdftotext
    missing("LibreOffice (soffice) và pdftotext chưa được cài: apt-get install libreoffice-writer-nogui poppler-utils")


def test_libreoffice_renders_the_heading_on_one_line(session, tmp_path):
    soffice, pdftotext = _tools()
    ids = dashboard_fixture.build(session)
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=ids["plan"]), today=TODAY)
    (tmp_path / "bao-cao.docx").write_bytes(reports.word_report(session, board=board, period_label=""))
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "bao-cao.docx")],
                   check=True, capture_output=True, timeout=180)
    text = subprocess.run([pdftotext, "-layout", str(tmp_path / "bao-cao.pdf"), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    pages = text.split("\f")
    pages = pages[:-1] if not pages[-1].strip() else pages
    assert 3 <= len(pages) <= 12
    first = pages[0].splitlines()
    heading = [line for line in first if "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line]
    assert len(heading) == 1 and "BỘ NỘI VỤ" in heading[0]  # one line, beside the issuing body
    assert any(re.search(r"Số:\s+/BC-BNV\s+Hà Nội, ngày", line) for line in first)
    assert not re.match(r"\s*1\s*$", first[0])  # no number on page 1
    assert pages[1].strip().splitlines()[0].strip() == "2"  # "2" centred at the top of page 2


def test_half_year_report_of_2000_items_keeps_its_body_within_ten_pages(session, tmp_path):
    """The body (before Phụ lục I) of the half-year report on 2.000 demo items: at most 10 pages."""
    soffice, pdftotext = _tools()
    plan = session.scalars(select(Plan).where(Plan.code == "184/QĐ-BNV")).one()
    generate_demo(session, plan=plan, items=2000, seed=1)
    _, docx_bytes, _ = reports.build_report(session, actor=LEADER, plan_id=plan.id, date_from=dt.date(2024, 1, 1),
                                            date_to=dt.date(2024, 6, 30), today=dt.date(2024, 9, 30))
    (tmp_path / "h.docx").write_bytes(docx_bytes)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "h.docx")], check=True, capture_output=True, timeout=300)
    pages = subprocess.run([pdftotext, "-layout", str(tmp_path / "h.pdf"), "-"], check=True, capture_output=True,
                           text=True, timeout=60).stdout.split("\f")
    body = next(i for i, p in enumerate(pages) if re.search(r"^\s*Phụ lục I\s*$", p, re.M))
    assert 3 <= body <= 10
    rows = {m for p in pages[:body] for m in re.findall(r"^\s*\((\d+)\)\s{2,}", p, re.M)}
    assert rows == {str(k) for k in range(1, 17)}  # every task's row is drawn, wherever the table breaks

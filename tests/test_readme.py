"""The README opens with screenshots of the four main screens (made by scripts/screenshots.py)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_shows_the_four_main_screens_and_each_image_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\((docs/img/[^)]+\.png)\)", readme[:2000])
    assert images == ["docs/img/board.png", "docs/img/dashboard.png", "docs/img/item.png", "docs/img/my-work.png"]
    for image in images:
        assert (ROOT / image).read_bytes().startswith(b"\x89PNG")
    assert "scripts/screenshots.py" in readme

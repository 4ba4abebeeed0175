"""Every relative link of the README, CONTRIBUTING and docs/ resolves: a file that exists, or
a heading of the same page (GitHub's anchors: lower case, punctuation dropped, spaces to dashes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(text: str) -> set[str]:
    out = set()
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        out.add(slug)
    return out


@pytest.mark.parametrize("page", ["README.md", "CONTRIBUTING.md", "docs/figures.md",
                                  "docs/gas.md"])
def test_relative_links_resolve(page):
    text = (ROOT / page).read_text()
    own = anchors(text)
    broken = []
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        missing = not ((ROOT / page).parent / path).exists() if path else anchor not in own
        if missing:
            broken.append(target)
    assert not broken, f"{page}: broken links {broken}"

"""The documentation stays true to the repository: README keeps its four sections and points at
docs/, every relative link leads to a file that exists, and every test a page names exists.

Guarantees name the test that proves each promise; a renamed or deleted test must not leave a
promise pointing at nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
TEST_FILE = re.compile(r"`(tests/[\w/.-]+)`")
TEST_NAME = re.compile(r"`(?:tests/([\w/]+\.py)::|::)?(test_\w+)`")


def headings(text: str) -> list[str]:
    """The page's `## ` headings, leaving out those inside fenced code and <details>."""
    found, fence, details = [], False, 0
    for line in text.splitlines():
        fence = fence != line.startswith("```")
        details += line.startswith("<details") - line.startswith("</details>")
        if not fence and not details and line.startswith("## "):
            found.append(line[3:])
    return found


def test_readme_keeps_its_four_sections_and_points_at_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert headings(readme) == ["Try it", "A project", "Commands", "Use in GitHub", "More"]
    for page in ("github-action", "how-podsync-decides", "guarantees", "architecture"):
        assert f"](docs/{page}.md)" in readme


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:|#", target):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.name}: link to {target}, which does not exist"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_test_a_page_names_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for name in TEST_FILE.findall(text):
        assert (ROOT / name.split("::")[0]).exists(), f"{page.name}: {name} does not exist"
    suite = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("*.py"))
    for file, name in TEST_NAME.findall(text):
        source = (ROOT / "tests" / file).read_text(encoding="utf-8") if file else suite
        assert f"def {name}(" in source, f"{page.name}: no test {file}::{name}"


def test_the_sample_plan_comment_is_the_golden_one() -> None:
    """docs/github-action.md shows the pull-request comment a reviewer sees: exactly the golden
    file tests/test_render_markdown.py renders, so the sample cannot drift from the renderer."""
    page = (ROOT / "docs" / "github-action.md").read_text(encoding="utf-8")
    start = page.index("<details><summary>The pull-request comment</summary>\n")
    shown = page[start : page.index("</details>", start)].split("\n", 1)[1]
    golden = (ROOT / "tests" / "golden" / "plan-comment.md").read_text(encoding="utf-8")
    assert shown.strip() == golden.strip()

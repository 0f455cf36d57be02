"""The docs run as tests: every Python block in README.md, CONTRIBUTING.md and docs/*.md.

Sybil reads each page. A ```python block that starts with ``>>>`` is a doctest, so its shown
output is compared; any other ```python block is executed. A page's blocks share one
namespace and run in order, from a folder laid out like the root of a clone. A block that
needs a server or is only illustrative carries ``<!-- skip: next "why" -->`` just above it;
that marker is rare and always says why.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from unittest import SkipTest

import pytest
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

from tests.conftest import REPO

PAGES = sorted(
    [REPO / "README.md", REPO / "CONTRIBUTING.md", *(REPO / "docs").glob("*.md")],
    key=lambda p: p.relative_to(REPO).as_posix(),
)
SYBIL = Sybil(
    parsers=[
        SkipParser(),
        PythonCodeBlockParser(doctest_optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE),
    ]
)
# Pages another issue owns whose example does not run yet; each entry must go when it does
# (the test then fails with XPASS to say so).
PENDING: dict[str, str] = {}
MAX_SKIPS = 5
FENCE = re.compile(r"^```[ \t]*([\w+-]*)[ \t]*$", re.MULTILINE)
SKIP = re.compile(r"^<!--\s*skip:\s*(\w+)(.*?)-->", re.MULTILINE)


def _name(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_page_examples_run_as_shown(
    page: Path, clone_cwd: Path, request: pytest.FixtureRequest
) -> None:
    if _name(page) in PENDING:
        request.applymarker(pytest.mark.xfail(reason=PENDING[_name(page)], strict=True))
    document = SYBIL.parse(page)
    ran = 0
    for example in document:
        try:
            example.evaluate()
        except SkipTest:
            continue
        ran += 1
    python_blocks = [lang for lang in FENCE.findall(page.read_text()) if lang == "python"]
    assert ran > 0 or not python_blocks, f"{_name(page)}: no example ran"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_python_blocks_are_marked_python(page: Path) -> None:
    """A block fenced as ``py``, ``pycon`` or ``python3`` would silently never run."""
    languages = set(FENCE.findall(page.read_text()))
    assert not languages & {"py", "pycon", "python3", "ipython"}, languages


def test_skips_are_rare_and_say_why() -> None:
    skips = [(page, m) for page in PAGES for m in SKIP.finditer(page.read_text())]
    assert len(skips) <= MAX_SKIPS, [_name(p) for p, _ in skips]
    for page, match in skips:
        action, reason = match.group(1), match.group(2).strip()
        if action in ("next", "start"):
            assert re.fullmatch(r'"[^"]{10,}"', reason), f"{_name(page)}: skip without a reason"


def test_every_page_is_reachable_from_the_docs_index() -> None:
    index = (REPO / "docs" / "index.md").read_text()
    for page in (REPO / "docs").glob("*.md"):
        if page.name != "index.md":
            assert f"({page.name}" in index, f"docs/index.md does not link {page.name}"


def test_api_reference_lists_every_exported_name() -> None:
    import leafloaf
    import leafloaf.datasets

    api = (REPO / "docs" / "api.md").read_text()
    names = [*leafloaf.__all__, *leafloaf.datasets.__all__]
    missing = [n for n in names if not re.search(rf"`[^`]*\b{re.escape(n)}\b[^`]*`", api)]
    assert not missing, f"docs/api.md does not mention {missing}"

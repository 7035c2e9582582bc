"""The README and the design document stay true to the code: every module, every measure, no dead link."""

import re
from pathlib import Path

import pytest

from outcomes import scorecard

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def modules():
    return sorted(str(path.relative_to(ROOT / "outcomes")) for path in (ROOT / "outcomes").rglob("*.py"))


def layout_section():
    text = README.read_text()
    return text[text.index("## Layout") :]


@pytest.mark.parametrize("module", modules())
def test_readme_layout_names_every_module_in_its_own_line(module):
    lines = [
        line for line in layout_section().splitlines() if re.search(rf"(^|\s){re.escape(module)}\s", line)
    ]
    assert len(lines) == 1, f"README's layout section should describe {module} in one line"


@pytest.mark.parametrize(
    "document", ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
)
def test_links_stay_inside_the_repository_and_resolve(document):
    path = ROOT / document
    for target in LINK.findall(path.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{document} links outside the repository: {target}"
        assert resolved.exists(), f"{document} links to a missing file: {target}"


def test_readme_links_the_design_document():
    assert "(docs/design.md)" in README.read_text()


@pytest.mark.parametrize("measure", [name for name, *_ in scorecard.MEASURES])
def test_design_document_defines_every_measure(measure):
    assert f"`{measure}`" in (ROOT / "docs" / "design.md").read_text()

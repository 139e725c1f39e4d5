"""Patient education pages (data/education.yaml) as typed, frozen records.

The public pages at /learn/ explain trigger points, dry needling and acupuncture to patients in plain
words. Each page has a slug (its address), a title, a one-line summary, the date its content was last
reviewed, sections of paragraphs and bullet lists, and "see also" links to other pages. Every
paragraph and every bullet names its sources, so the page can list them as numbered references.

The file is a list of pages. Every problem is collected and reported at once as
`education.yaml: entry 'SLUG': field 'F': ...`: unknown keys, malformed or duplicate slugs, a block
that is neither a paragraph nor a list, a "see also" that names no page, a missing or malformed review
date. Source IDs are returned for the loader to check against the bibliography.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .errors import where
from .reader import Reader
from .sourceref import SourceRef

FILE = "education.yaml"
_SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")

# (kind, id, file, entry, field): a reference the loader checks against the other files.
Reference = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph, or one bullet of a list, with the sources it rests on."""

    text: str
    sources: tuple[SourceRef, ...]

    is_list = False


@dataclass(frozen=True, slots=True)
class BulletList:
    """A bullet list: an optional lead-in line (no facts of its own) and its cited items."""

    items: tuple[Paragraph, ...]
    lead: str = ""

    is_list = True


Block = Paragraph | BulletList


@dataclass(frozen=True, slots=True)
class Section:
    """A headed part of a page. `urgent` sections (warning signs) are shown boxed."""

    heading: str
    blocks: tuple[Block, ...]
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class EducationPage:
    slug: str
    title: str
    summary: str
    reviewed: dt.date
    sections: tuple[Section, ...]
    see_also: tuple[str, ...]

    def cited(self) -> tuple[Paragraph, ...]:
        """Every paragraph and bullet, in reading order."""
        out: list[Paragraph] = []
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, BulletList):
                    out.extend(block.items)
                else:
                    out.append(block)
        return tuple(out)

    def texts(self) -> tuple[str, ...]:
        """The body text in reading order: the summary, then every list lead-in, paragraph and bullet
        (headings and titles are labels, not sentences, and are left out)."""
        out = [self.summary]
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, BulletList):
                    if block.lead:
                        out.append(block.lead)
                    out.extend(item.text for item in block.items)
                else:
                    out.append(block.text)
        return tuple(out)

    def source_ids(self) -> tuple[str, ...]:
        """The page's source IDs, each once, in the order they are first cited (the reference numbers)."""
        return tuple(dict.fromkeys(ref.id for p in self.cited() for ref in p.sources))


@dataclass(frozen=True, slots=True)
class Education:
    """Every page by slug, in file order (the `education` attribute of the knowledge base)."""

    pages: dict[str, EducationPage]


# ---------------------------------------------------------------- reading


def _sources(r: Reader, refs: list[Reference], field: str) -> tuple[SourceRef, ...]:
    found = r.sources("sources")
    refs.extend(("source", ref.id, r.file, r.entry, field) for ref in found)
    return found


def _paragraph(raw: Any, page: Reader, field: str, refs: list[Reference]) -> Paragraph | None:
    p = page.sub(raw, field)
    text = p.text("text")
    sources = _sources(p, refs, field)
    p.finish()
    return Paragraph(text, sources) if text else None


def _block(raw: Any, page: Reader, field: str, refs: list[Reference]) -> Block | None:
    if isinstance(raw, dict) and "items" in raw and "text" not in raw:
        b = page.sub(raw, field)
        lead = b.text("lead", required=False)
        raw_items = b.items("items", required=True)
        b.finish()
        items = [_paragraph(item, page, f"{field}.items[{i}]", refs) for i, item in enumerate(raw_items)]
        if not raw_items:
            page.problem(field, "a list must have at least one item")
        kept = tuple(item for item in items if item is not None)
        return BulletList(kept, lead) if kept else None
    if isinstance(raw, dict) and "text" in raw:
        return _paragraph(raw, page, field, refs)
    page.problem(field, f"a block is a paragraph {{text, sources}} or a list {{items: [...]}}, not {raw!r}")
    return None


def _reviewed(r: Reader) -> dt.date | None:
    r.seen.add("reviewed")
    value = r.raw.get("reviewed")
    if value is None:
        r.problem("reviewed", "is required: the date the page's content was last reviewed (YYYY-MM-DD)")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        r.problem("reviewed", f"must be a date (YYYY-MM-DD), not {value!r}")
        return None


def _section(raw: Any, page: Reader, index: int, refs: list[Reference]) -> Section | None:
    field = f"sections[{index}]"
    s = page.sub(raw, field)
    heading = s.text("heading")
    urgent = s.flag("urgent", False)
    raw_blocks = s.items("blocks", required=True)
    s.finish()
    if not raw_blocks and "blocks" in s.raw:
        page.problem(field, "a section must have at least one block")
    blocks = [_block(b, page, f"{field}.blocks[{i}]", refs) for i, b in enumerate(raw_blocks)]
    kept = tuple(b for b in blocks if b is not None)
    return Section(heading, kept, urgent) if heading and kept else None


def _page(raw: Any, index: int, problems: list[str], refs: list[Reference]) -> EducationPage | None:
    r = Reader(raw, FILE, index, problems, id_key="slug")
    slug = r.text("slug")
    if slug and not _SLUG.match(slug):
        r.problem("slug", f"'{slug}' must be lower case words joined by hyphens (it is the page's address)")
        slug = ""
    title, summary = r.text("title"), r.text("summary")
    reviewed = _reviewed(r)
    raw_sections = r.items("sections", required=True)
    see_also = r.texts("see_also")
    r.finish()
    if not raw_sections and "sections" in r.raw:
        r.problem("sections", "a page must have at least one section")
    sections = tuple(s for s in (_section(raw, r, i, refs) for i, raw in enumerate(raw_sections)) if s)
    if slug in see_also:
        r.problem("see_also", "a page cannot list itself")
    if not (slug and title and summary and reviewed and sections):
        return None
    return EducationPage(slug, title, summary, reviewed, sections, see_also)


def parse_education(raw: object, problems: list[str]) -> tuple[Education | None, list[Reference]]:
    """Validate education.yaml and return its pages with the source references the loader must check.

    Problems are appended to `problems` (file, entry, field); the result is None only when the file
    is not a list at all.
    """
    refs: list[Reference] = []
    if not isinstance(raw, list):
        problems.append(f"{where(FILE, None, None)}: must be a list of pages")
        return None, refs
    pages: dict[str, EducationPage] = {}
    for index, entry in enumerate(raw):
        page = _page(entry, index, problems, refs)
        if page is None:
            continue
        if page.slug in pages:
            problems.append(f"{where(FILE, page.slug, 'slug')}: duplicate slug: two pages cannot share an address")
            continue
        pages[page.slug] = page
    for page in pages.values():
        for other in page.see_also:
            if other not in pages:
                problems.append(f"{where(FILE, page.slug, 'see_also')}: '{other}' is not the slug of any page")
    if not pages:
        problems.append(f"{where(FILE, None, None)}: must list at least one page")
    return Education(pages), refs

"""A page's sources as numbered references: each source gets a number the first time it is cited, and
every paragraph and bullet carries the numbers of its own sources (pure; no Django)."""

from __future__ import annotations

from dataclasses import dataclass

from needlechart.knowledge.education import BulletList, EducationPage, Paragraph
from needlechart.knowledge.model import KnowledgeBase, Source


@dataclass(frozen=True, slots=True)
class Reference:
    number: int
    source: Source
    locators: tuple[str, ...]  # the parts of the source the page draws on ("§5.1"), each once


@dataclass(frozen=True, slots=True)
class CitedText:
    text: str
    numbers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ShownBlock:
    is_list: bool
    lead: str
    items: tuple[CitedText, ...]  # a paragraph is one item


@dataclass(frozen=True, slots=True)
class ShownSection:
    heading: str
    anchor: str
    urgent: bool
    blocks: tuple[ShownBlock, ...]


def numbered(kb: KnowledgeBase, page: EducationPage) -> tuple[tuple[ShownSection, ...], tuple[Reference, ...]]:
    """The page's sections with reference numbers on every paragraph and bullet, and the reference list."""
    numbers = {ident: i for i, ident in enumerate(page.source_ids(), start=1)}
    locators: dict[str, dict[str, None]] = {ident: {} for ident in numbers}
    for cited in page.cited():
        for ref in cited.sources:
            if ref.locator:
                locators[ref.id][ref.locator] = None

    def cite(p: Paragraph) -> CitedText:
        return CitedText(p.text, tuple(sorted({numbers[ref.id] for ref in p.sources})))

    sections = []
    for i, section in enumerate(page.sections, start=1):
        blocks = tuple(
            ShownBlock(True, b.lead, tuple(cite(item) for item in b.items))
            if isinstance(b, BulletList)
            else ShownBlock(False, "", (cite(b),))
            for b in section.blocks
        )
        sections.append(ShownSection(section.heading, f"s{i}", section.urgent, blocks))
    references = tuple(Reference(n, kb.sources[ident], tuple(locators[ident])) for ident, n in numbers.items())
    return tuple(sections), references

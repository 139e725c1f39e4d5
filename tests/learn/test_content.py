"""The education content itself: every page reads at a Flesch-Kincaid grade of 7 or lower (a reading age
of about 12), so an edit that makes a page too hard fails here; no page promises a result; every
paragraph and bullet is cited; and the loader refuses bad data (a source that does not exist, a
duplicate slug, an unknown key, a "see also" to a missing page), naming file, entry and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from needlechart.clinical.readability import as_sentences, grade_level, reading_ease
from needlechart.knowledge.loader import load
from tests.knowledge.editing import copy_data, edit_yaml, load_problems

MAX_GRADE = 7.0
FORBIDDEN = ("cure", "cures", "cured", "guarantee", "guaranteed", "guarantees", "100%", "miracle", "permanent fix")
EXPECTED = {
    "trigger-points",
    "dry-needling",
    "acupuncture",
    "how-they-differ",
    "what-a-session-feels-like",
    "after-a-session",
    "risks",
    "how-often",
    "exercise",
    "when-knots-come-back",
    "when-to-get-help",
}

PAGES = list(load().education.pages.values())


def test_the_pages_the_issue_asks_for_are_all_there():
    assert {p.slug for p in PAGES} >= EXPECTED


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_every_page_reads_at_grade_7_or_lower(page):
    text = as_sentences(page.texts())
    grade = grade_level(text)
    assert grade <= MAX_GRADE, f"{page.slug}: Flesch-Kincaid grade {grade:.1f} is above {MAX_GRADE}"
    assert reading_ease(text) >= 60, f"{page.slug}: reading ease {reading_ease(text):.0f} is below plain English"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_no_page_promises_a_result(page):
    words = " ".join([page.title, page.summary, *(s.heading for s in page.sections), *page.texts()]).lower()
    for bad in FORBIDDEN:
        pattern = re.escape(bad) if not bad[0].isalpha() else rf"\b{re.escape(bad)}\b"
        assert not re.search(pattern, words), f"{page.slug} says {bad!r}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_every_paragraph_and_bullet_is_cited(page):
    kb = load()
    for cited in page.cited():
        assert cited.sources, cited.text
        assert all(ref.id in kb.sources for ref in cited.sources)


def test_the_urgent_warnings_after_a_session_are_there():
    page = load().education.pages["after-a-session"]
    urgent = [s for s in page.sections if s.urgent]
    assert urgent, "the warning signs after needling must be a boxed (urgent) section"
    text = " ".join(item.text for s in urgent for b in s.blocks for item in getattr(b, "items", (b,))).lower()
    for sign in ("short of breath", "breathe in", "dry cough", "2 days", "emergency services"):
        assert sign in text


# ---------------------------------------------------------------- the loader's refusals


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return copy_data(tmp_path)


def edit(data_dir: Path, change) -> None:
    edit_yaml(data_dir, "education.yaml", change)


problems = load_problems


def has(found: list[str], *parts: str) -> bool:
    return any(all(part in p for part in parts) for p in found)


def test_the_copied_data_loads(data_dir):
    load.cache_clear()
    try:
        assert set(load(data_dir).education.pages) == {p.slug for p in PAGES}
    finally:
        load.cache_clear()


def test_a_source_that_does_not_exist_is_refused(data_dir):
    edit(data_dir, lambda d: d[0]["sections"][0]["blocks"][0].update(sources=["no_such_source_2099"]))
    assert has(problems(data_dir), "education.yaml", "trigger-points", "unknown source 'no_such_source_2099'")


def test_a_bullet_without_sources_is_refused(data_dir):
    def change(d):
        block = next(b for s in d[0]["sections"] for b in s["blocks"] if "items" in b)
        del block["items"][0]["sources"]

    edit(data_dir, change)
    assert has(problems(data_dir), "education.yaml", "trigger-points", "sources", "is required")


def test_a_duplicate_slug_is_refused(data_dir):
    edit(data_dir, lambda d: d.append({**d[1], "title": "Another dry needling page"}))
    assert has(problems(data_dir), "education.yaml", "dry-needling", "duplicate slug")


def test_an_unknown_key_is_refused_at_every_level(data_dir):
    def change(d):
        d[0]["subtitle"] = "typo"
        d[1]["sections"][0]["heding"] = "typo"
        d[2]["sections"][0]["blocks"][0]["txt"] = "typo"

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "trigger-points", "subtitle", "is not a known field")
    assert has(found, "dry-needling", "heding", "is not a known field")
    assert has(found, "acupuncture", "txt", "is not a known field")


def test_a_see_also_to_a_missing_page_is_refused(data_dir):
    edit(data_dir, lambda d: d[0]["see_also"].append("no-such-page"))
    assert has(problems(data_dir), "education.yaml", "trigger-points", "see_also", "'no-such-page' is not the slug")


def test_a_page_listing_itself_is_refused(data_dir):
    edit(data_dir, lambda d: d[0]["see_also"].append("trigger-points"))
    assert has(problems(data_dir), "trigger-points", "see_also", "cannot list itself")


def test_a_bad_slug_or_review_date_is_refused(data_dir):
    def change(d):
        d[0]["slug"] = "Trigger Points"
        d[1]["reviewed"] = "last spring"
        del d[2]["reviewed"]

    edit(data_dir, change)
    found = problems(data_dir)
    assert has(found, "slug", "lower case words joined by hyphens")
    assert has(found, "dry-needling", "reviewed", "must be a date")
    assert has(found, "acupuncture", "reviewed", "is required")


def test_a_block_that_is_neither_paragraph_nor_list_is_refused(data_dir):
    edit(data_dir, lambda d: d[0]["sections"][0]["blocks"].append({"quote": "x", "sources": ["simons_1999"]}))
    assert has(problems(data_dir), "trigger-points", "a block is a paragraph")


def test_a_missing_file_is_refused(data_dir):
    (data_dir / "education.yaml").unlink()
    assert has(problems(data_dir), "education.yaml: file is missing")

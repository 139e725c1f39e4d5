"""The self-check's own words read at grade 7 or below (Flesch-Kincaid), as the /learn/ pages do.

What is measured is every sentence the self-check itself writes on its pages: the start screen, the
screen titles, choices and hints, each answer and its next steps, the consent. The knowledge base's
own texts shown there (each finding's question and its reason for the clinician, the region names,
the sources) are left out: they are the knowledge base's, checked where they are written.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest

from needlechart.clinical.readability import as_sentences, grade_level
from tests.selfcheck.conftest import post_data

pytestmark = pytest.mark.django_db

KB_TEXT = [
    r"<legend>(?!<).*?</legend>",  # a finding's question
    r"<details class=\"sc-list\".*?</details>",  # the region names
    r"<details>.*?</details>",  # for the doctor: the finding's reason and sources
    r"<p>You said yes to: .*?</p>",
    r"<select.*?</select>",
    r"<header.*?</header>",
    r"<svg.*?</svg>",
    r"<figcaption>.*?</figcaption>",
    r"<p class=\"sc-marked\".*?</p>",
    r"<ul class=\"sc-modalities\">.*?</ul>",  # names muscles from the knowledge base
    r"<ul class=\"sc-links\">.*?</ul>",  # the /learn/ page titles
    r"<p>Where it hurts: .*?</p>",  # the region names
]


def words_on(page: str) -> str:
    body = page[page.index("<main") : page.index("</main>")]
    for pattern in KB_TEXT:
        body = re.sub(pattern, " ", body, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "\n", body))
    lines = [line.strip() for line in text.splitlines() if len(line.strip().split()) >= 2]
    return as_sentences(lines)


def test_the_questions_screens_read_at_grade_7_or_below(client, db):
    text = words_on(client.get("/self-check/").content.decode())
    assert len(text.split()) > 150
    assert grade_level(text) <= 7, (grade_level(text), text)


@pytest.mark.parametrize(
    "yes",
    [("saddle_anesthesia",), ("fever",), ("cancer_history", "night_pain"), ("needle_phobia",), ("diabetes",), ()],
)
def test_every_answer_reads_at_grade_7_or_below(client, db, yes):
    from tests import factories as f

    f.clinic("riverside")
    text = words_on(client.post("/self-check/answer/", post_data(*yes)).content.decode())
    assert grade_level(text) <= 7, (grade_level(text), text)

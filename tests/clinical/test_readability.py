"""The readability core: syllable estimates checked by hand, and the Flesch reading ease and
Flesch-Kincaid grade on texts whose counts are known. The grade of every education page is held to 7
or lower in tests/learn/test_content.py."""

from __future__ import annotations

import pytest

from needlechart.clinical.readability import (
    as_sentences,
    grade_level,
    reading_ease,
    sentence_count,
    stats,
    syllables,
    words,
)


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("cat", 1),
        ("make", 1),
        ("makes", 1),
        ("asked", 1),
        ("table", 2),
        ("muscle", 2),
        ("needle", 2),
        ("needles", 2),
        ("needled", 2),
        ("wanted", 2),
        ("soreness", 2),
        ("safely", 2),
        ("trial", 2),
        ("usual", 3),
        ("nation", 2),
        ("special", 2),
        ("lying", 2),
        ("exercise", 3),
        ("acupuncture", 4),
        ("anticoagulant", 5),
        ("you'll", 1),
        ("didn't", 2),
        ("short-term", 2),
        ("people", 2),
    ],
)
def test_hand_counted_syllables(word, count):
    assert syllables(word) == count


def test_a_number_counts_as_one_word():
    assert words("About 24 in 100 people, or 1,000 in all.") == [
        "About",
        "24",
        "in",
        "100",
        "people",
        "or",
        "1,000",
        "in",
        "all",
    ]
    assert syllables("24") == 2


def test_sentences_end_at_stops_but_not_inside_numbers():
    assert sentence_count("It hurts. Does it? Yes! It lasts 0.5 days") == 4
    assert sentence_count("") == 0
    assert as_sentences(["A bullet with no stop", "A sentence.", "  "]) == "A bullet with no stop. A sentence."


def test_a_short_simple_sentence_grades_low():
    # 6 words, 1 sentence, 6 syllables: grade 0.39*6 + 11.8*1 - 15.59 = -1.45; ease 206.835 - 6.09 - 84.6.
    text = "The cat sat on the mat."
    assert stats(text).words == 6 and stats(text).syllables == 6
    assert grade_level(text) == pytest.approx(-1.45)
    assert reading_ease(text) == pytest.approx(116.145)


def test_plain_patient_sentences_grade_low():
    text = "You may feel sore for a day or two. This is normal. Keep moving gently."
    assert grade_level(text) < 4
    assert reading_ease(text) > 80


def test_a_dense_clinical_sentence_grades_high():
    text = (
        "Anticoagulant therapy, thrombocytopenia or another coagulopathy constitutes an absolute "
        "contraindication to deep intramuscular needling of non-compressible musculature."
    )
    assert grade_level(text) > 16
    assert reading_ease(text) < 10


def test_long_sentences_grade_higher_than_the_same_words_split_up():
    long = "You may feel sore and tired and you should rest and drink water and keep moving gently today."
    short = "You may feel sore and tired. You should rest. Drink water. Keep moving gently today."
    assert grade_level(long) > grade_level(short)


def test_no_words_means_no_grade():
    assert stats("...").words == 0
    assert grade_level("") == 0.0 and reading_ease(" ") == 0.0

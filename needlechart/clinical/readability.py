"""How hard a text is to read: a syllable estimate, the Flesch reading ease and the Flesch-Kincaid grade.

Pure functions, no Django. The patient education pages (knowledge/data/education.yaml) are written
for a reading age of about 12, and tests/learn/test_content.py holds every page to a Flesch-Kincaid
grade of 7 or lower, so an edit that makes a page too hard fails before it ships.

The formulas (Flesch 1948; Kincaid et al. 1975), with W words, S sentences and Y syllables:

    reading ease = 206.835 - 1.015 * (W / S) - 84.6 * (Y / W)     (higher is easier; 60-70 is plain)
    grade level  = 0.39 * (W / S) + 11.8 * (Y / W) - 15.59         (a US school grade)

Syllables are estimated by rule, not looked up: runs of vowels, less a silent final "e" and a
silent "-ed" or "-es", with the common exceptions ("-le" after a consonant, "-ted", "-ded"). The
estimate is usually right or one off for English words, which is all a grade level needs. A number
written in digits counts as one word of one syllable per digit ("72" is read "seventy-two": four
syllables, counted two), a close enough guess for the short numbers patient text uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# A word: letters or digits, with inner apostrophes, hyphens or decimal/thousands marks kept inside it
# ("don't", "short-term", "1,000", "0.5").
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.,-][A-Za-z0-9]+)*")
# A sentence ends at ., ! or ? (any run, with closing quotes or brackets) followed by space or the end.
_SENTENCE_END = re.compile(r"[.!?]+[\"'’”)\]]*(?=\s|$)")
_VOWEL_RUNS = re.compile(r"[aeiouy]+")
# Words the rules below get wrong, with their syllable counts.
_EXCEPTIONS = {
    "area": 3,
    "idea": 3,
    "people": 2,
    "every": 2,
    "different": 3,
    "business": 2,
    "science": 2,
    "quiet": 2,
    "create": 2,
    "created": 3,
    "qi": 1,
}


@dataclass(frozen=True, slots=True)
class TextStats:
    """The counts the formulas need; `sentences` is at least 1 for any text with a word."""

    words: int
    sentences: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words if self.words else 0.0


def syllables(word: str) -> int:
    """The estimated number of syllables in one word (0 for a token with no letter or digit)."""
    word = word.replace("’", "'")
    if "-" in word:
        return sum(syllables(p) for p in word.split("-") if p)
    base, apostrophe, ending = word.partition("'")
    if apostrophe:
        # A contraction adds no syllable ("you'll", "it's", "don't"), except n't after a syllable that
        # does not end in n ("didn't", "isn't", "wouldn't").
        extra = 1 if ending.lower() == "t" and base.lower().endswith("n") and base.lower()[:-1] not in _NT else 0
        return syllables(base) + extra
    digits = re.sub(r"[^0-9]", "", word)
    letters = re.sub(r"[^a-z]", "", word.lower())
    if digits and not letters:
        return len(digits)
    if not letters:
        return 0
    return _letter_syllables(letters)


_NT = {"do", "wo", "ca", "ai", "are"}  # don't, won't, can't, ain't, aren't: one syllable


def _letter_syllables(w: str) -> int:
    if w in _EXCEPTIONS:
        return _EXCEPTIONS[w]
    if len(w) <= 3:
        return 1
    count = len(_VOWEL_RUNS.findall(w))
    consonant_le = len(w) > 3 and w[-4] not in "aeiouy"
    if w.endswith("e") and not w.endswith(("ee", "ie", "ye")):
        # A final "-le" after a consonant is a syllable of its own ("table", "muscle"); other final e's
        # are silent ("make", "five").
        if not (w.endswith("le") and w[-3] not in "aeiouy"):
            count -= 1
    elif w.endswith(("les", "led")) and consonant_le:
        pass  # "needles", "needled": the -le stays a syllable
    elif w.endswith("es") and w[-3] not in "aeiouyscgxz" and not w.endswith(("ches", "shes")):
        count -= 1  # "makes", "hopes"
    elif w.endswith("ed") and w[-3] not in "aeiouytd":
        count -= 1  # "asked", "tired"; but "wanted", "needed" keep it
    # A silent e before a suffix: "soreness", "safely", "useful", "statement", "careless".
    if re.search(r"[^aeiouy]e(?:ness|ly|ful|ment|less)$", w):
        count -= 1
    # "-ing" after a vowel is a syllable of its own ("lying", "saying", "seeing").
    if w.endswith("ing") and len(w) > 3 and w[-4] in "aeiouy":
        count += 1
    # Two vowels sounded apart ("trial", "radio", "video", "usual", "medium"), except where they are
    # one sound: i after t, s, c, g or x ("nation", "special", "region"), u after q or g ("quality").
    for match in re.finditer(r"ia|io|iu|eo|ua|uo", w):
        before = w[match.start() - 1] if match.start() else ""
        if not (
            (match.group()[0] == "i" and before in "tscgx" and before)
            or (match.group()[0] == "u" and before in "qg" and before)
        ):
            count += 1
    return max(1, count)


def words(text: str) -> list[str]:
    """The words of a text, in order (numbers included, punctuation left out)."""
    return _WORD.findall(text)


def sentence_count(text: str) -> int:
    """The number of sentences: each run of ., ! or ? before a space or the end, and a last one without."""
    count = 0
    last = 0
    for match in _SENTENCE_END.finditer(text):
        if _WORD.search(text[last : match.start()]):
            count += 1
        last = match.end()
    if _WORD.search(text[last:]):
        count += 1
    return count


def stats(text: str) -> TextStats:
    """Words, sentences and syllables of a text (a text with words has at least one sentence)."""
    found = words(text)
    return TextStats(
        words=len(found),
        sentences=max(1, sentence_count(text)) if found else 0,
        syllables=sum(syllables(w) for w in found),
    )


def as_sentences(items: Iterable[str]) -> str:
    """Join paragraphs and list items into one text, ending each with a full stop if it has none, so a
    bullet without a stop is counted as a sentence of its own and not run into the next one."""
    out = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        out.append(item if re.search(r"[.!?][\"'’”)\]]*$", item) else item + ".")
    return " ".join(out)


def reading_ease(text: str) -> float:
    """The Flesch reading ease (about 0 to 100; higher is easier). 0.0 for a text with no words."""
    s = stats(text)
    if not s.words:
        return 0.0
    return 206.835 - 1.015 * s.words_per_sentence - 84.6 * s.syllables_per_word


def grade_level(text: str) -> float:
    """The Flesch-Kincaid grade level (a US school grade; reading age is about grade + 5). 0.0 for no words."""
    s = stats(text)
    if not s.words:
        return 0.0
    return 0.39 * s.words_per_sentence + 11.8 * s.syllables_per_word - 15.59

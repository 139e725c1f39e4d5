"""Reading a PDF back: its text (poppler's pdftotext, in the order it is drawn, so that a table cell's
words stay together) and its page count (pdfinfo). poppler-utils is installed by scripts/sysdeps.sh."""

from __future__ import annotations

import re
import subprocess


def text_of(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


def pages_of(pdf: bytes) -> int:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    match = re.search(r"^Pages:\s+(\d+)", out, re.M)
    assert match, out
    return int(match.group(1))


def words(text: str) -> str:
    """The text with runs of white space as one space (a table cell's words may be laid out apart)."""
    return re.sub(r"\s+", " ", text)

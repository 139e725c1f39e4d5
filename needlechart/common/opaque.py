"""Opaque identifiers: what a URL or an API payload shows instead of a row's sequential id.

Row ids are global and sequential, so a clinic that saw its own new patient get id 5,012 after
4,311 yesterday would learn how busy every other clinic is. Every id that leaves the server is
therefore a keyed permutation of the row id, written as a kind prefix and 13 base-32 characters
(`pt_1q0m8v2k7c1xz`):

- a keyed 64-bit Feistel permutation (HMAC-SHA-256 rounds) maps each id to one token and back, so
  nothing is stored and every existing row has its token at once;
- the kind (patient, visit, needle, ...) is part of the key, so a visit's token is never a patient's;
- any string of the right shape decodes to *some* number, almost always one that no row has: a
  guessed token finds nothing, exactly like a wrong id.

The key is `settings.NEEDLECHART_ID_KEY` (from the environment variable of the same name, or derived
from the secret key when that is unset). Changing it changes every address, so a deployment that
may rotate its secret key sets the id key once and keeps it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache
from typing import Any

from django import forms

# kind -> prefix. A kind names what the id points at; the prefix tells a reader (and the API schema).
KINDS: dict[str, str] = {
    "patient": "pt",
    "visit": "vi",
    "episode": "ep",
    "finding": "hf",
    "insertion": "nd",
    "planned": "pn",
    "palpation": "pa",
    "adverse_event": "ae",
    "exercise": "ex",
    "addendum": "ad",
    "screening": "sc",
    "consent": "co",
    "user": "us",
    "plan": "pc",
    "measurement": "om",
    "discharge": "dc",
    "review_action": "ra",
    "rom": "rm",
    "portal_alert": "al",
    "email": "em",
    "intake": "it",
    "portal_questionnaire": "pq",
    "econsent": "ec",
    "check_in": "ci",
}
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base 32, lower case: no i, l, o, u
_DECODE = {c: i for i, c in enumerate(ALPHABET)}
LENGTH = 13  # 13 × 5 bits ≥ 64
ROUNDS = 6
MAX_ID = 2**63 - 1  # a BigAutoField's range
_MASK32 = 0xFFFFFFFF


# A well-formed token of each kind, for documentation (not a row's: the digits are made up).
EXAMPLES: dict[str, str] = {kind: f"{prefix}_{'1q0m8v2k7c1xz'}" for kind, prefix in KINDS.items()}


def pattern(kind: str) -> str:
    """The regular expression a token of `kind` matches (for URL converters and the API schema): the
    prefix, then 13 base-32 characters (65 bits) of which the first holds the top 4 bits of 64 only."""
    return f"{KINDS[kind]}_[{ALPHABET[:16]}][{ALPHABET}]{{{LENGTH - 1}}}"


def is_token(kind: str, value: object) -> bool:
    """Whether `value` has the shape of a token of `kind` (it may still name no row)."""
    return isinstance(value, str) and re.fullmatch(pattern(kind), value) is not None


def _key() -> bytes:
    from django.conf import settings

    return str(settings.NEEDLECHART_ID_KEY).encode()


def _round(key: bytes, kind: str, number: int, half: int) -> int:
    digest = hmac.new(key, f"{kind}:{number}:{half}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def _permute(key: bytes, kind: str, value: int, *, inverse: bool) -> int:
    left, right = value >> 32, value & _MASK32
    rounds = range(ROUNDS - 1, -1, -1) if inverse else range(ROUNDS)
    for number in rounds:
        if inverse:
            left, right = right ^ _round(key, kind, number, left), left
        else:
            left, right = right, left ^ _round(key, kind, number, right)
    return (left << 32) | right


@lru_cache(maxsize=65536)
def _encode(key: bytes, kind: str, value: int) -> str:
    number = _permute(key, kind, value, inverse=False)
    chars = []
    for _ in range(LENGTH):
        chars.append(ALPHABET[number & 31])
        number >>= 5
    return f"{KINDS[kind]}_{''.join(reversed(chars))}"


@lru_cache(maxsize=65536)
def _decode(key: bytes, kind: str, token: str) -> int | None:
    prefix = f"{KINDS[kind]}_"
    body = token[len(prefix) :].lower()
    if not token.startswith(prefix) or len(body) != LENGTH or any(c not in _DECODE for c in body):
        return None
    number = 0
    for c in body:
        number = (number << 5) | _DECODE[c]
    if number >= 2**64:  # the 13th character carries one bit too many
        return None
    value = _permute(key, kind, number, inverse=True)
    return value if 0 < value <= MAX_ID else None


def encode(kind: str, value: int) -> str:
    """The token shown for row `value` of `kind`."""
    if kind not in KINDS:
        raise KeyError(f"unknown kind of id: {kind}")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        raise ValueError(f"not a row id: {value!r}")
    return _encode(_key(), kind, value)


def decode(kind: str, token: object) -> int | None:
    """The row id behind `token`, or None when it is not a token of `kind` (then nothing is found)."""
    if kind not in KINDS:
        raise KeyError(f"unknown kind of id: {kind}")
    if not isinstance(token, str) or len(token) > 32:
        return None
    return _decode(_key(), kind, token)


# model label -> kind, for `of()`.
MODEL_KINDS: dict[str, str] = {
    "patients.patient": "patient",
    "patients.patientfinding": "finding",
    "patients.episode": "episode",
    "charting.visit": "visit",
    "charting.insertion": "insertion",
    "charting.plannedneedle": "planned",
    "charting.palpation": "palpation",
    "charting.adverseevent": "adverse_event",
    "charting.exerciseassignment": "exercise",
    "charting.addendum": "addendum",
    "charting.screening": "screening",
    "charting.consent": "consent",
    "accounts.user": "user",
    "outcomes.planrevision": "plan",
    "outcomes.measurement": "measurement",
    "outcomes.discharge": "discharge",
    "outcomes.reviewaction": "review_action",
    "outcomes.rangeofmotion": "rom",
    "portal.portalalert": "portal_alert",
    "notifications.outboundemail": "email",
    "portal.intake": "intake",
    "portal.questionnaireresponse": "portal_questionnaire",
    "portal.econsent": "econsent",
    "portal.checkin": "check_in",
}


def of(instance: Any) -> str:
    """The token of a model instance (a patient, a visit, a needle, ...)."""
    return encode(MODEL_KINDS[instance._meta.label_lower], instance.pk)


def of_or_none(instance: Any) -> str | None:
    return None if instance is None else of(instance)


class IdField(forms.CharField):
    """A hidden form field carrying a row's token; `cleaned_data` holds the row id (or None).

    Initial values may be row ids: they are shown as tokens."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)  # no max_length: its validator would run on the decoded row id
        self.kind = kind

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
            return encode(self.kind, value)
        return value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        row_id = decode(self.kind, value)
        if row_id is None:
            raise forms.ValidationError("That row is not on this note: reload the note.", code="invalid")
        return row_id


def _converter(kind: str) -> type:
    class Converter:
        regex = pattern(kind)

        def to_python(self, value: str) -> int:
            row_id = decode(kind, value)
            if row_id is None:
                raise ValueError(value)  # the URL does not match: a 404
            return row_id

        def to_url(self, value: object) -> str:
            if isinstance(value, str) and re.fullmatch(pattern(kind), value):
                return value
            if isinstance(value, str) and value.isascii() and value.isdigit():
                value = int(value)
            if not isinstance(value, int):
                raise ValueError(f"not a {kind} id: {value!r}")
            return encode(kind, value)

    Converter.__name__ = f"{kind.title().replace('_', '')}IdConverter"
    return Converter


def register_converters() -> None:
    """`<patient:pk>`, `<visit:visit_id>`, ... in URL patterns: the view receives the row id."""
    from django.urls import converters, register_converter

    for kind in KINDS:
        if kind not in converters.get_converters():
            register_converter(_converter(kind), kind)

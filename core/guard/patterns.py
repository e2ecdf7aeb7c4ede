"""Fast PII patterns with checksums: the path ingest runs on every chunk.

Presidio covers many formats but misses some current ones (Mastercard 2-series, 19-digit
Visa, Maestro, international phone layouts, dates of birth in context). These regexes are
compiled once; every candidate is validated (Luhn, IBAN mod-97, IP parsing) so that
precision holds without a language model.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class PiiFinding:
    type: str
    start: int
    end: int
    text: str
    score: float


EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b"
)
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){11,18}\d(?![\w-])")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", re.IGNORECASE)
SSN_RE = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
SSN_LOOSE_RE = re.compile(
    r"(?<![\w-])(?!000|666|9\d\d)\d{3}([ .]?)(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])"
)
IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
PHONE_RE = re.compile(
    r"(?<![\w+.-])(?:(?:\+|00)\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,11}(?:[ .-]\d{2,8}){0,5}"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w-]*\d|:\d)"
)
DATE_RE = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}|(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}"
    r"|\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,? "
    r"(?:19|20)\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}"
    r"(?:st|nd|rd|th)?,? (?:19|20)\d{2})\b",
    re.IGNORECASE,
)
STREET_RE = re.compile(
    r"\b\d{1,5}(?: [A-Z][A-Za-z'.-]+){1,4} (?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|"
    r"Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Square|Sq|Parkway|Pkwy|Highway|Hwy)\b\.?"
    r"(?:,? (?:Apt\.?|Suite|Unit|#) ?\w+)?"
)
UK_POSTCODE_RE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b")
TITLED_NAME_RE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Dame)\.? (?:[A-Z][a-z'-]+ ){0,2}[A-Z][a-z'-]+"
    r"(?: [A-Z][a-z'-]+)?"
)

PHONE_CONTEXT = re.compile(
    r"\b(?:phone|tel|telephone|call|calling|mobile|cell|fax|office|contact|reach|dial|"
    r"answering|number|whatsapp|sms|text me|ph)\b",
    re.IGNORECASE,
)
SSN_CONTEXT = re.compile(r"\b(?:ssn|social security|ss#|ss no)\b", re.IGNORECASE)
BIRTH_CONTEXT = re.compile(r"\b(?:born|birth|dob|d\.o\.b|birthday|geboren|né|née)\b", re.I)

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
    "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """Issuer of a card number by its IIN range and length, or None if no scheme fits."""
    n, p2, p4 = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (digits.startswith("6011") or p2 == 65 or 644 <= int(digits[:3]) <= 649) and n >= 16:
        return "discover"
    if 3528 <= p4 <= 3589 and n >= 16:
        return "jcb"
    if (300 <= int(digits[:3]) <= 305 or p2 in (36, 38, 39)) and n >= 14:
        return "diners"
    if p2 == 62 and n >= 16:
        return "unionpay"
    if (p2 in (50, 56, 57, 58) or digits[0] == "6") and 12 <= n <= 19:
        return "maestro"
    return None


def iban_ok(compact: str) -> bool:
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _near(context: re.Pattern[str], text: str, start: int, end: int, window: int = 48) -> bool:
    return context.search(text, max(0, start - window), min(len(text), end + window)) is not None


def _emails(text: str) -> Iterator[PiiFinding]:
    for m in EMAIL_RE.finditer(text):
        yield PiiFinding("EMAIL_ADDRESS", m.start(), m.end(), m.group(), 1.0)


def _cards(text: str) -> Iterator[PiiFinding]:
    for m in CARD_RE.finditer(text):
        raw = m.group()
        seps = {c for c in raw if not c.isdigit()}
        digits = raw.replace(" ", "").replace("-", "")
        if len(seps) <= 1 and luhn_ok(digits) and card_brand(digits):
            yield PiiFinding("CREDIT_CARD", m.start(), m.end(), raw, 1.0)


def _ibans(text: str) -> Iterator[PiiFinding]:
    for m in IBAN_RE.finditer(text):
        raw = m.group().rstrip()
        compact = raw.replace(" ", "").upper()
        # A trailing word may have been swallowed by the optional spaces: shrink until valid.
        while len(compact) >= 15 and not iban_ok(compact):
            raw = raw[:-1].rstrip()
            compact = raw.replace(" ", "").upper()
        if len(compact) >= 15:
            yield PiiFinding("IBAN_CODE", m.start(), m.start() + len(raw), raw, 1.0)


def _ssns(text: str) -> Iterator[PiiFinding]:
    for m in SSN_RE.finditer(text):
        yield PiiFinding("US_SSN", m.start(), m.end(), m.group(), 0.85)
    for m in SSN_LOOSE_RE.finditer(text):
        if _near(SSN_CONTEXT, text, m.start(), m.end()):
            yield PiiFinding("US_SSN", m.start(), m.end(), m.group(), 0.85)


def _ips(text: str) -> Iterator[PiiFinding]:
    for rx in (IPV4_RE, IPV6_RE):
        for m in rx.finditer(text):
            try:
                ipaddress.ip_address(m.group())
            except ValueError:
                continue
            yield PiiFinding("IP_ADDRESS", m.start(), m.end(), m.group(), 0.95)


def _phones(text: str) -> Iterator[PiiFinding]:
    for m in PHONE_RE.finditer(text):
        raw = m.group()
        digits = sum(c.isdigit() for c in re.split(r"\s?(?:x|ext)", raw)[0])
        if not 6 <= digits <= 15 or DATE_RE.fullmatch(raw) or SSN_RE.fullmatch(raw):
            continue
        strong = raw[0] in "+(" or raw.startswith("00") or "x" in raw or _nanp(raw)
        grouped = any(c in raw for c in " .-")
        if strong and digits >= 7:
            yield PiiFinding("PHONE_NUMBER", m.start(), m.end(), raw, 0.75)
        elif (grouped or digits >= 10) and _near(PHONE_CONTEXT, text, m.start(), m.end()):
            # A number that begins its line (a letterhead's "020 7946 0958 office") is surer
            # than one inside a sentence, which may be part of an address.
            line_start = text[: m.start()].rstrip(" \t>").endswith("\n")
            yield PiiFinding("PHONE_NUMBER", m.start(), m.end(), raw, 0.7 if line_start else 0.6)


def _nanp(raw: str) -> bool:
    return re.fullmatch(r"(?:1[ .-])?\d{3}[ .-]\d{3}[ .-]\d{4}", raw) is not None


def _dates_of_birth(text: str) -> Iterator[PiiFinding]:
    for m in DATE_RE.finditer(text):
        if _near(BIRTH_CONTEXT, text, m.start(), m.end(), window=32):
            yield PiiFinding("DATE_OF_BIRTH", m.start(), m.end(), m.group(), 0.8)


def _addresses(text: str) -> Iterator[PiiFinding]:
    for m in STREET_RE.finditer(text):
        yield PiiFinding("STREET_ADDRESS", m.start(), m.end(), m.group(), 0.7)
    for m in UK_POSTCODE_RE.finditer(text):
        yield PiiFinding("POSTCODE", m.start(), m.end(), m.group(), 0.6)


def _titled_names(text: str) -> Iterator[PiiFinding]:
    # Without the name model (detect_names off), a name is only certain after an honorific.
    for m in TITLED_NAME_RE.finditer(text):
        yield PiiFinding("PERSON", m.start(), m.end(), m.group(), 0.6)


FINDERS: dict[str, Callable[[str], Iterator[PiiFinding]]] = {
    "EMAIL_ADDRESS": _emails,
    "CREDIT_CARD": _cards,
    "IBAN_CODE": _ibans,
    "US_SSN": _ssns,
    "IP_ADDRESS": _ips,
    "PHONE_NUMBER": _phones,
    "DATE_OF_BIRTH": _dates_of_birth,
    "STREET_ADDRESS": _addresses,
    "PERSON": _titled_names,
}
PATTERN_ENTITIES = (*FINDERS, "POSTCODE")


def find_pii_fast(text: str, entities: tuple[str, ...] | None = None) -> list[PiiFinding]:
    """All pattern findings, overlaps resolved: the longer, then the more certain, wins."""
    found: list[PiiFinding] = []
    for name, finder in FINDERS.items():
        if entities is None or name in entities:
            found.extend(finder(text))
    return resolve_overlaps(found)


# Validated formats beat a statistical guess (an NER label) over the same characters.
VALIDATED = frozenset({"EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS"})


# A phone number's pattern (a strong one) is surer of its edges than a name model is of an
# address's: a letterhead's phone line is the phone's, and the address ends before it.
FIRM = VALIDATED | {"PHONE_NUMBER"}
FIRM_PHONE_SCORE = 0.7  # a strong format, or a phone number on a line of its own
# What the name model finds; a span of it that runs over a firm finding is cut back.
MODEL_FOUND = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "STREET_ADDRESS"})
EDGE = " \t\n,;:-\\"


def resolve_overlaps(found: list[PiiFinding]) -> list[PiiFinding]:
    firm = [f for f in found if f.type in FIRM
            and (f.type != "PHONE_NUMBER" or f.score >= FIRM_PHONE_SCORE)]  # fmt: skip
    found = [piece for f in found for piece in _outside(f, firm)]
    kept: list[PiiFinding] = []
    order = sorted(found, key=lambda f: (f.type not in VALIDATED, -(f.end - f.start), -f.score))
    for f in order:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def _outside(finding: PiiFinding, firm: list[PiiFinding]) -> list[PiiFinding]:
    """`finding` itself, or for a model's span over firm findings the longest part of it
    that lies outside them (its edges' spaces and commas trimmed), or nothing."""
    cuts = [f for f in firm if f.start < finding.end and finding.start < f.end]
    if finding.type not in MODEL_FOUND or not cuts:
        return [finding]
    pieces, at = [], finding.start
    for cut in sorted(cuts, key=lambda f: f.start):
        pieces.append((at, max(at, cut.start)))
        at = max(at, cut.end)
    pieces.append((at, finding.end))
    start, end = max(pieces, key=lambda p: p[1] - p[0])
    text = finding.text[start - finding.start : end - finding.start]
    stripped = text.strip(EDGE)
    if len(stripped) < 2:
        return []
    start += len(text) - len(text.lstrip(EDGE))
    return [PiiFinding(finding.type, start, start + len(stripped), stripped, finding.score)]

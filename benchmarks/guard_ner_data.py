"""Sentences with labelled names, places, organisations and postal addresses, for the name
detector's training (benchmarks/guard_train_ner.py) and its held-out report.

Templates are ours (resources/guard/ner_templates.jsonl, written by the team for Enclave);
the values come from Faker (MIT) in 28 locales, so names and addresses are international and
addresses come one-line or multi-line as each country writes them. Templates are split by
their hash: 80% train, 20% held out ("test"), so the held-out report measures sentences whose
wording was never trained on. presidio-research's sentences (the shared PII set the issue
reports on) are never read here.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "resources/guard/ner_templates.jsonl"
# spaCy's own label names (the model starts from en_core_web_sm), plus ADDRESS.
LABEL_OF = {"PERSON": "PERSON", "FIRST": "PERSON", "LAST": "PERSON", "CITY": "GPE",
            "COUNTRY": "GPE", "REGION": "GPE", "ORG": "ORG", "STREET": "ADDRESS",
            "ADDRESS": "ADDRESS"}  # fmt: skip
FILLERS = ("DATE", "AMOUNT", "NUMBER")
PLACEHOLDER = re.compile(r"\{([A-Z]+)\}")
BLOCK_SHARE = 0.12  # of sentences: address blocks with no template around them
# Locale and weight: English-speaking countries most, then Europe, then the rest.
LOCALES = {"en_US": 14, "en_GB": 8, "en_IE": 2, "en_AU": 2, "en_CA": 2, "en_IN": 3,
           "de_DE": 6, "de_AT": 2, "fr_FR": 5, "es_ES": 4, "es_MX": 2, "it_IT": 4,
           "nl_NL": 4, "pl_PL": 3, "cs_CZ": 3, "fi_FI": 2, "sv_SE": 2, "da_DK": 2,
           "no_NO": 2, "pt_BR": 3, "pt_PT": 2, "hu_HU": 2, "ro_RO": 2, "hr_HR": 1,
           "sk_SK": 1, "tr_TR": 1, "el_GR": 1, "ja_JP": 1}  # fmt: skip


@dataclass(frozen=True)
class Sentence:
    text: str
    spans: tuple[tuple[int, int, str], ...]  # (start, end, spaCy label), character offsets
    genre: str


def template_split(template: str) -> str:
    digest = hashlib.sha256(template.encode("utf-8")).digest()
    return "test" if digest[0] % 5 == 0 else "train"


def load_templates(split: str) -> list[dict]:
    rows = [json.loads(line) for line in TEMPLATES.read_text(encoding="utf-8").splitlines()
            if line.strip()]  # fmt: skip
    return [r for r in rows if template_split(r["template"]) == split]


class ValueSource:
    """Faker values per placeholder, each from a locale drawn by weight."""

    def __init__(self, seed: int) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed * 1000 + i)
        self.english = self.fakers["en_US"]

    def faker(self):  # type: ignore[no-untyped-def]
        names, weights = zip(*LOCALES.items(), strict=True)
        return self.fakers[self.rng.choices(names, weights)[0]]

    def value(self, name: str) -> str:
        f = self.faker()
        if name == "PERSON":
            return self.person(f)
        if name == "ADDRESS":
            return self.address(f)
        simple = {"FIRST": f.first_name, "LAST": f.last_name, "CITY": lambda: self.city(f),
                  "COUNTRY": self.english.country, "REGION": lambda: region(f),
                  "ORG": lambda: self.organisation(f), "STREET": lambda: self.street(f),
                  "DATE": lambda: f.date(pattern=self.rng.choice(DATE_PATTERNS)),
                  "AMOUNT": lambda: f"{self.rng.choice('$€£')}{self.rng.randint(5, 99999):,}",
                  "NUMBER": lambda: str(self.rng.randint(1, 9999))}  # fmt: skip
        return str(simple[name]())

    def person(self, f) -> str:  # type: ignore[no-untyped-def]
        """Full names mostly; a fifth of the time a first name or a surname alone, as people
        are named in dialogue, lists and minutes."""
        roll = self.rng.random()
        if roll < 0.12:
            return str(f.first_name())
        if roll < 0.2:
            return str(f.last_name())
        if roll < 0.6:
            return f.first_name() + " " + f.last_name()
        if roll < 0.7:
            return f"{f.first_name()} {self.rng.choice('ABCDEFGHJKLMNPRSTW')}. {f.last_name()}"
        return str(f.name())

    def city(self, f) -> str:  # type: ignore[no-untyped-def]
        """A real place name. Faker's English-speaking locales make their cities from first
        names ("South Jessica", "Lake Katieview"), which would teach that names are places."""
        listed = getattr(_provider(f, "address"), "cities", None)
        if listed:
            return str(self.rng.choice(listed))
        return self.rng.choice(ENGLISH_CITIES)

    def organisation(self, f) -> str:  # type: ignore[no-untyped-def]
        """A company or institution whose name is not only surnames: Faker's "Walker, Kim
        and Simpson" or a bare "Beier" would teach that lists of names are organisations."""
        roll = self.rng.random()
        if roll < 0.15:
            return self.rng.choice(INSTITUTIONS).format(city=self.city(f), last=f.last_name())
        surnames = set(getattr(_provider(f, "person"), "last_names", ()))
        for _ in range(8):
            name = str(f.company())
            words = [w for w in re.split(r"[\s,\-]+", name) if w and w not in CONNECTORS]
            if any(w not in surnames for w in words):
                return name
        return f"{f.last_name()} {self.rng.choice(INDUSTRIES)} {self.rng.choice(SUFFIXES)}"

    def street(self, f) -> str:  # type: ignore[no-untyped-def]
        """A street line; now and then the street's name alone ("the shops on X Street")."""
        if self.rng.random() < 0.2:
            return str(f.street_name())
        return str(f.street_address())

    def address(self, f, joiner: str | None = None) -> str:  # type: ignore[no-untyped-def]
        """Faker's address for the locale; sometimes with a unit line, the town in capitals
        (as postal services ask) or the country added; on one line or several."""
        lines = str(f.address()).split("\n")
        if self.rng.random() < 0.3 and len(lines) > 1:
            unit = f"{self.rng.choice(UNITS)} {self.rng.randint(1, 999)}"
            lines.insert(self.rng.choice((0, 1)), unit)
        if self.rng.random() < 0.15:
            lines[-1] = lines[-1].upper()
        if self.rng.random() < 0.35:
            lines.append(self.english.country())
        return (joiner or self.rng.choice(ADDRESS_JOINERS)).join(lines)

    def block(self) -> Sentence:
        """An address block with no sentence around it, as on an envelope, a letterhead, a
        signature or a form: a name, maybe an organisation and a role, the address, maybe
        phone and e-mail lines; in quoted e-mail every line starts with "> "."""
        f = self.faker()
        prefix = self.rng.choice(BLOCK_PREFIXES)
        joiner = "\n" + prefix + self.rng.choice(("", "", " "))
        parts: list[tuple[str, str | None]] = [(self.person(f), "PERSON")]
        if self.rng.random() < 0.5:
            parts.append((self.organisation(f), "ORG"))
        if self.rng.random() < 0.2:
            parts.append((self.rng.choice(ROLES), None))
        parts.append((self.address(f, joiner), "ADDRESS"))
        if self.rng.random() < 0.35:
            parts.append((f"{f.phone_number()}{self.rng.choice(PHONE_TAILS)}", None))
        if self.rng.random() < 0.2:
            parts.append((str(f.email()), None))
        text, spans = prefix, []
        for i, (value, label) in enumerate(parts):
            text += joiner if i else ""
            if label:
                spans.append((len(text), len(text) + len(value), label))
            text += value
        return Sentence(text, tuple(spans), "address_block")


ADDRESS_JOINERS = (", ", ", ", "\n", "\n", "\n ", " ")
BLOCK_PREFIXES = ("", "", "", "> ", "- ", "\t")
ROLES = ("Head of Procurement", "Benefits manager", "Senior Associate", "Office Manager",
         "Chief Financial Officer", "Patient Services", "Accounts Payable")  # fmt: skip


def _provider(f, kind: str):  # type: ignore[no-untyped-def]
    for provider in f.providers:
        if f".{kind}." in type(provider).__module__:
            return provider
    return None


ENGLISH_CITIES = (
    "London", "Manchester", "Leeds", "Bristol", "Glasgow", "Edinburgh", "Cardiff", "Belfast",
    "Dublin", "Cork", "Galway", "Liverpool", "Sheffield", "Nottingham", "Leicester", "York",
    "Oxford", "Cambridge", "Brighton", "Aberdeen", "Swansea", "Norwich", "Exeter", "Bath",
    "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia", "San Antonio",
    "San Diego", "Dallas", "Austin", "Seattle", "Denver", "Boston", "Atlanta", "Miami",
    "Portland", "Detroit", "Minneapolis", "Baltimore", "Milwaukee", "Nashville", "Louisville",
    "Pittsburgh", "Cleveland", "Tampa", "Sacramento", "Kansas City", "Salt Lake City",
    "Albuquerque", "Tucson", "Omaha", "Raleigh", "Richmond", "Boise", "Anchorage", "Honolulu",
    "Toronto", "Montreal", "Vancouver", "Calgary", "Ottawa", "Edmonton", "Winnipeg", "Halifax",
    "Quebec City", "Victoria", "Saskatoon", "Sydney", "Melbourne", "Brisbane", "Perth",
    "Adelaide", "Canberra", "Hobart", "Darwin", "Auckland", "Wellington", "Christchurch",
    "Cape Town", "Johannesburg", "Durban", "Nairobi", "Lagos", "Accra", "Singapore", "Mumbai",
    "Delhi", "Bangalore", "Chennai", "Kolkata", "Hyderabad", "Karachi", "Lahore", "Dhaka",
)  # fmt: skip
INSTITUTIONS = ("University of {city}", "{city} General Hospital", "{city} City Council",
                "St. {last}'s Hospital", "{last} Institute of Technology",
                "{city} District Court", "Bank of {city}", "{city} Chamber of Commerce")  # fmt: skip
INDUSTRIES = ("Logistics", "Consulting", "Pharma", "Holdings", "Engineering", "Foods",
              "Analytics", "Capital", "Energy", "Systems", "Media", "Partners")  # fmt: skip
SUFFIXES = ("Ltd", "LLC", "Inc.", "GmbH", "S.A.", "B.V.", "plc", "AG", "Oy", "AB")
CONNECTORS = {"and", "&", "und", "et", "e", "y", "og", "i", "och", "en"}
UNITS = ("Apt.", "Suite", "Flat", "Unit", "Floor")
# A phone line often follows an address on a letterhead or a form; it is not part of it.
PHONE_TAILS = ("", " office", " (mobile)", " fax", "-Office")

DATE_PATTERNS = ("%d/%m/%Y", "%B %d, %Y", "%Y-%m-%d", "%d %b %Y", "%m/%d/%y")


def region(f) -> str:  # type: ignore[no-untyped-def]
    for attr in ("administrative_unit", "state", "region", "province", "county"):
        if hasattr(f, attr):
            try:
                return str(getattr(f, attr)())
            except (AttributeError, TypeError):
                continue
    return str(f.city())


def render(template: str, genre: str, values: ValueSource) -> Sentence:
    """Fills each placeholder; chat messages sometimes carry their names in lower case."""
    lower = genre.startswith("chat") and values.rng.random() < 0.3
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0
    length = 0
    for m in PLACEHOLDER.finditer(template):
        literal = template[pos : m.start()]
        out.append(literal)
        length += len(literal)
        value = values.value(m.group(1))
        if lower and m.group(1) in LABEL_OF:
            value = value.lower()
        if m.group(1) in LABEL_OF:
            add_span(spans, (length, length + len(value), LABEL_OF[m.group(1)]), literal)
        if m.group(1) == "ADDRESS" and "\n" in value and values.rng.random() < 0.25:
            value += f"\n{values.faker().phone_number()}{values.rng.choice(PHONE_TAILS)}"
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    text = "".join(out)
    if values.rng.random() < 0.06 and len(text.lower()) == len(text):
        text = text.lower()  # typed in a hurry, or pasted from a system that lower-cases
    return Sentence(text, tuple(spans), genre)


def add_span(spans: list[tuple[int, int, str]], span: tuple[int, int, str],
             before: str) -> None:  # fmt: skip
    """"{FIRST} {LAST}" is one name, not two."""
    if spans and before == " " and spans[-1][2] == span[2] and spans[-1][1] == span[0] - 1:
        spans[-1] = (spans[-1][0], span[1], span[2])
    else:
        spans.append(span)


def sentences(split: str, count: int, seed: int = 0) -> Iterator[Sentence]:
    """`count` sentences from the split's templates; one in five joins two or three, so
    entities also appear inside passages the length of a chunk."""
    templates = load_templates(split)
    values = ValueSource(seed)
    rng = values.rng
    for _ in range(count):
        if rng.random() < BLOCK_SHARE:
            yield values.block()
            continue
        parts = [render(t["template"], t["genre"], values)
                 for t in rng.sample(templates, rng.choice((1, 1, 1, 1, 2, 3)))]  # fmt: skip
        yield join(parts)


def join(parts: list[Sentence]) -> Sentence:
    text, spans, offset = "", [], 0
    for part in parts:
        if text:
            text += " " if part.text[:1].isupper() else "\n"
            offset = len(text)
        text += part.text
        spans += [(s + offset, e + offset, label) for s, e, label in part.spans]
    return Sentence(text, tuple(spans), parts[0].genre)

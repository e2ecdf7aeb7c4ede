"""Fast PII patterns and secret patterns: each detector must catch its format and its checksum."""

from __future__ import annotations

import pytest

from core.guard.patterns import (
    PiiFinding,
    card_brand,
    find_pii_fast,
    iban_ok,
    luhn_ok,
    resolve_overlaps,
)
from core.guard.secrets import find_secrets_fast

pytestmark = pytest.mark.unit


def types(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.text) for f in find_pii_fast(text)]


@pytest.mark.parametrize("card", [
    "4111 1111 1111 1111", "5555-5555-5555-4444", "2221000000000009", "378282246310005",
    "4000000000000000006", "6759649826438453", "6011111111111117",
])  # fmt: skip
def test_cards_in_all_current_ranges_are_found(card: str) -> None:
    assert types(f"pay with {card} today") == [("CREDIT_CARD", card)]


def test_card_with_bad_checksum_is_not_a_card() -> None:
    assert not luhn_ok("4111111111111112")
    assert "CREDIT_CARD" not in {t for t, _ in types("order 4111 1111 1111 1112")}


def test_card_brands() -> None:
    assert card_brand("2720999999999996") == "mastercard"
    assert card_brand("4000000000000000006") == "visa"
    assert card_brand("9999999999999999") is None


def test_iban_needs_mod97_and_country_length() -> None:
    assert iban_ok("GB82WEST12345698765432")
    assert not iban_ok("GB82WEST12345698765433")
    assert types("IBAN DE89 3704 0044 0532 0130 00 please") == [
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 00")]  # fmt: skip
    assert types("my iban is gb82west12345698765432") == [("IBAN_CODE", "gb82west12345698765432")]


def test_email_ssn_ip() -> None:
    found = types("a.b+c@mail.example.org, SSN 078-05-1120, from 192.168.1.20 and ::1 or fe80::1ff:fe23:4567:890a")
    assert ("EMAIL_ADDRESS", "a.b+c@mail.example.org") in found
    assert ("US_SSN", "078-05-1120") in found
    assert ("IP_ADDRESS", "192.168.1.20") in found
    assert ("IP_ADDRESS", "fe80::1ff:fe23:4567:890a") in found
    assert ("IP_ADDRESS", "999.1.1.1") not in types("version 999.1.1.1")


@pytest.mark.parametrize("phone", ["+44 20 7946 0958", "(978)645-9740x11144", "+1-962-819-8200",
                                   "001-748-088-2851x818", "06-10446904", "+33 1 42 68 53 00"])  # fmt: skip
def test_international_phones(phone: str) -> None:
    assert types(f"call {phone} now") == [("PHONE_NUMBER", phone)]


def test_short_numbers_need_phone_context() -> None:
    assert types("They're not answering at 785 8949") == [("PHONE_NUMBER", "785 8949")]
    assert types("The survey covered 785 8949 households") == []
    assert types("Date: 1994-03-24 01:19:22") == []


def test_date_of_birth_only_in_context() -> None:
    assert types("born on 3/23/1940 in Oslo") == [("DATE_OF_BIRTH", "3/23/1940")]
    assert types("the meeting on 3/23/2024 was short") == []


def test_address_and_titled_name() -> None:
    found = types("Dr. Jane Miller lives at 221 Baker Street, London NW1 6XE")
    assert ("PERSON", "Dr. Jane Miller") in found
    assert ("STREET_ADDRESS", "221 Baker Street") in found
    assert ("POSTCODE", "NW1 6XE") in found


@pytest.mark.parametrize(("kind", "secret"), [
    ("OPENAI", "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6n"),
    ("ANTHROPIC", "sk-ant-api03-" + "x1Y2z3A4b5C6d7E8f9G0h1I2j3K4l5M6n7O8p9Q0r1S2t3U4v5W6"),
    ("GOOGLE_API_KEY", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("GITHUB", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    ("AWS", "AKIAIOSFODNN7EXAMPLE"),
    ("SLACK", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("STRIPE", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ("JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("CONNECTION_STRING", "postgresql://admin:S3cretPw!@db.internal:5432/app"),
    ("PRIVATE_KEY", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----"),
    ("CREDENTIAL_ASSIGNMENT", 'db_password = "Tr0ub4dor&3x"'),
])  # fmt: skip
def test_secret_formats(kind: str, secret: str) -> None:
    found = find_secrets_fast(f"config:\n{secret}\nend")
    assert [f.type for f in found] == [kind]


def test_placeholders_and_prose_are_not_secrets() -> None:
    text = "password = ${DB_PASSWORD}\ntoken: <your token here>\nThe password must be long."
    assert find_secrets_fast(text) == []


def test_an_address_span_ends_where_a_phone_number_begins() -> None:
    text = "12 Rue Lafayette\n75009 Paris\n+33 1 42 68 53 00 office"
    model = PiiFinding("STREET_ADDRESS", 0, len(text), text, 0.85)  # what a name model said
    kept = resolve_overlaps([model, *find_pii_fast(text)])
    assert [(f.type, f.text) for f in kept] == [
        ("STREET_ADDRESS", "12 Rue Lafayette\n75009 Paris"), ("PHONE_NUMBER", "+33 1 42 68 53 00")]


def test_a_name_span_wholly_inside_a_card_number_is_dropped() -> None:
    card = PiiFinding("CREDIT_CARD", 5, 24, "4111 1111 1111 1111", 1.0)
    inside = PiiFinding("PERSON", 10, 14, "1111", 0.85)
    assert resolve_overlaps([inside, card]) == [card]

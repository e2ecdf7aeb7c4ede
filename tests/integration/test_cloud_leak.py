"""Leak test: documents built from labelled PII sentences and real secret samples, many
questions through each provider's SDK to its stand-in, and a search of every byte the
servers received for every sensitive value: raw, JSON-escaped, URL-encoded and base64.

Asserted (must be 0 leaked): every labelled span of the types the guard finds by pattern
(e-mail, phone, credit card, US SSN, IBAN, IP address) and every secret the guard's secret
detector recognises in its own line. Reported, not asserted: names, places, organisations
and addresses (found by a statistical model whose recall is below 1, benchmarks/guard_pii.py)
and the secrets the detector does not recognise (benchmarks/guard_secrets.py).
Retrieval uses the FakeEmbedder (what is retrieved does not matter here, only that what
is sent is guarded); the guard, the SDKs and the servers are the real ones.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import keyring
import pytest

from core.engine import Engine
from tests.cloud_servers import ECHO_PLACEHOLDERS, RecordingServer
from tests.fakes import FakeEmbedder, MemoryKeyring

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PATTERN_TYPES = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE",
                 "IP_ADDRESS"}  # fmt: skip
PROVIDERS = ("openai", "anthropic", "gemini", "openai-compatible")
SENTENCES_PER_DOC = 36
LINES_PER_DOC = 40
MAX_SECRET = 120  # longer values are split across chunks by the splitter
CODE = "dossier{:03d}x"  # one word per document, in each of its lines: the question's key
PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d{1,4}>")


def forms(value: str) -> set[bytes]:
    raw = value.encode("utf-8")
    found = {raw, json.dumps(value)[1:-1].encode(), quote(value).encode(),
             quote_plus(value).encode()}  # fmt: skip
    b64 = base64.b64encode(raw)
    found |= {b64.rstrip(b"="), base64.urlsafe_b64encode(raw).rstrip(b"=")}
    return {f for f in found if len(f) >= 4}


@dataclass
class Corpus:
    docs: dict[str, str]  # code word -> document text
    asserted: set[str]  # values that must never leave
    reported: dict[str, set[str]]  # kind -> values counted but not asserted


def norm(text: str) -> str:
    return " ".join(text.split())


def pii_corpus(shared_data: Path) -> tuple[list[str], set[str], set[str]]:
    rows = json.loads((shared_data / "guard/pii/presidio_generated_large.json").read_text())
    rows = [r for r in rows if any(s["entity_type"] in PATTERN_TYPES for s in r["spans"])]
    sentences = [r["full_text"].strip() for r in rows]  # line breaks kept: they part values
    spans = [(s["entity_type"], s["entity_value"].strip()) for r in rows for s in r["spans"]]
    asserted = {v for t, v in spans if t in PATTERN_TYPES and len(v) >= 4}
    other = {v for t, v in spans if t not in PATTERN_TYPES and len(v) >= 4}
    return sentences, asserted, other - asserted


def secret_corpus(shared_data: Path) -> tuple[list[str], set[str], set[str]]:
    from core.guard.secrets import find_secrets

    root = shared_data / "guard/secrets/credsweeper"
    lines: dict[str, set[str]] = {}
    for finding in json.loads((root / "data/output.json").read_text()):
        for line in finding["line_data_list"]:
            name = Path(line["path"]).name.split(".")[0]
            value, text = line.get("value") or "", norm(line["line"])
            if name.endswith(("_fp", "_n")) or not 8 <= len(value) <= MAX_SECRET:
                continue
            if value in text and len(text) <= 300:
                lines.setdefault(text, set()).add(value)
    recognised, missed = set(), set()
    for text, values in lines.items():
        line = f"{CODE.format(0)}: {text}"  # as it stands in a document
        spans = find_secrets(line)
        for value in values:
            start = line.index(value)
            covered = any(s.start <= start and start + len(value) <= s.end for s in spans)
            (recognised if covered else missed).add(value)
    # A value missed in one of its lines goes out there; one inside a missed value (a
    # prefix of a longer token) cannot be told apart in the bytes: both are reported.
    recognised = {v for v in recognised - missed if not any(v in m for m in missed)}
    return list(lines), recognised, missed


def build_corpus(shared_data: Path) -> Corpus:
    sentences, pii, names = pii_corpus(shared_data)
    lines, secrets, missed = secret_corpus(shared_data)
    docs: dict[str, str] = {}
    groups = [sentences[i : i + SENTENCES_PER_DOC] for i in range(0, len(sentences), SENTENCES_PER_DOC)]
    groups += [lines[i : i + LINES_PER_DOC] for i in range(0, len(lines), LINES_PER_DOC)]
    for n, group in enumerate(groups):
        code = CODE.format(n)
        docs[code] = f"# Record {code}\n\n" + "\n\n".join(f"{code}: {g}" for g in group) + "\n"
    return Corpus(docs, pii | secrets, {"names, places, organisations, addresses": names,
                                        "secrets the detector does not recognise": missed})  # fmt: skip


@dataclass
class Tally:
    tried: set[str] = field(default_factory=set)
    occurrences: int = 0
    leaked: set[str] = field(default_factory=set)
    reported_tried: dict[str, set[str]] = field(default_factory=dict)
    reported_leaked: dict[str, set[str]] = field(default_factory=dict)
    restored: int = 0
    requests: int = 0


@pytest.fixture(scope="module")
def corpus(shared_data: Path) -> Corpus:
    return build_corpus(shared_data)


@pytest.fixture(scope="module")
def leak_engine(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("leak")
    docs = root / "docs"
    docs.mkdir()
    for code, text in corpus.docs.items():
        (docs / f"{code}.txt").write_text(text, encoding="utf-8")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    engine = Engine(root / "home", embedder=FakeEmbedder(),
                    tagger=lambda texts, *_: [() for _ in texts])  # fmt: skip
    engine.ingest([docs])
    engine.update_settings({
        "guard": {"secrets_action": "redact", "detect_injection": False},
        "llm": {"sources_k": 10, "abstain_threshold": -1.0, "max_answer_tokens": 64},
    })  # fmt: skip
    yield engine
    engine.close()
    keyring.set_keyring(previous)


def ask_all(engine: Engine, server: RecordingServer, corpus: Corpus, provider: str) -> Tally:
    tally = Tally()
    for code in corpus.docs:
        server.requests.clear()
        result = engine.ask(f"What does record {code} say?", backend="cloud")
        assert result.route is not None and result.route.route == "cloud", result.route
        shown = "\n".join(s.text for s in result.sources)
        received = b"\n".join(r.raw for r in server.requests).lower()
        tally.requests += len(server.requests)
        for value in corpus.asserted:
            if value in shown:
                tally.tried.add(value)
                tally.occurrences += 1
                if any(f.lower() in received for f in forms(value)):
                    tally.leaked.add(value)
        flat = norm(shown)
        for kind, values in corpus.reported.items():
            seen = {v for v in values if norm(v) in flat}
            tally.reported_tried.setdefault(kind, set()).update(seen)
            tally.reported_leaked.setdefault(kind, set()).update(
                v for v in seen if norm(v).encode().lower() in received or v.encode().lower() in received)
        # the server's reply echoed placeholders; the answer (as streamed, before citation
        # clean-up) has the values back
        answer = engine.turns(result.conversation_id)[-1].info["raw_answer"]
        for placeholder in PLACEHOLDER.findall(server.answer_for(server.requests[-1])):
            value = engine.guard_restore(placeholder, result.conversation_id)
            assert value != placeholder and value in answer, placeholder
            tally.restored += 1
    return tally


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_sensitive_value_leaves(
    leak_engine: Engine, corpus: Corpus, cloud_servers: dict[str, RecordingServer], provider: str,
) -> None:
    server = cloud_servers["openai" if provider == "openai-compatible" else provider]
    server.answer = ECHO_PLACEHOLDERS
    leak_engine.set_cloud_key(provider, server.api_key)
    leak_engine.update_settings({"cloud": {"mode": "cloud", "provider": provider,
                                           "model": server.default_model,
                                           "base_url": server.base_url, "max_retries": 0}})  # fmt: skip
    tally = ask_all(leak_engine, server, corpus, provider)
    other = {k: f"{len(tally.reported_leaked[k])} of {len(v)}"
             for k, v in tally.reported_tried.items()}  # fmt: skip
    print(f"\nleak[{provider}]: {len(corpus.docs)} questions, {tally.requests} requests, "
          f"{len(tally.tried)} values tried ({tally.occurrences} times in prompts), "
          f"{len(tally.leaked)} leaked; {tally.restored} placeholders restored; "
          f"not asserted, sent as is: {other}")  # fmt: skip
    assert not tally.leaked, sorted(tally.leaked)[:10]
    assert len(tally.tried) >= 0.9 * len(corpus.asserted), (len(tally.tried), len(corpus.asserted))
    assert tally.restored > 100

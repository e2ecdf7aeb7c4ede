"""PII scanner: Presidio fully offline, with our pattern recognizers added.

Names, places, organisations and postal addresses come from our spaCy pipeline
(resources/guard/ner_model: en_core_web_sm 3.8.0's entity recognizer, MIT, further trained by
benchmarks/guard_train_ner.py, with an ADDRESS label of its own), or from another local spaCy
model (`ner_model_path`). With `detect_names` off, Presidio gets a blank English pipeline
(saved under resources/guard/) and names are reported as not detected. Lemmas come from
lower-cased tokens where the pipeline has no lemmatizer (ours has none: Presidio needs only
the entities), so Presidio's context-word boosting works. tldextract, used by Presidio's
e-mail recognizer, is pointed at its bundled suffix list.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from core.errors import GuardError
from core.guard.patterns import PATTERN_ENTITIES, PiiFinding, find_pii_fast, resolve_overlaps
from core.guard.settings import GuardSettings
from core.resources import RESOURCES

BLANK_PIPELINE = RESOURCES / "guard" / "spacy_blank_en"
NER_ENTITIES = ("PERSON", "LOCATION", "ORGANIZATION")
# Presidio's recognizers we keep beside ours (our SSN and phone rules need context).
PRESIDIO_RECOGNIZERS = ("EmailRecognizer", "CreditCardRecognizer", "IbanRecognizer",
                        "IpRecognizer")  # fmt: skip
# The spaCy labels reported, as Presidio names them; ADDRESS is our model's own label.
NER_LABELS = {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
              "ORG": "ORGANIZATION", "ADDRESS": "STREET_ADDRESS"}  # fmt: skip


# en_core_web_sm 3.8.0's entity recognizer (MIT), further trained by
# benchmarks/guard_train_ner.py on international names and postal addresses.
NER_MODEL = RESOURCES / "guard" / "ner_model"


def ner_model_dir(settings: GuardSettings) -> Path | None:
    """The spaCy model names are found with: `ner_model_path`, else the shipped one; None
    with names off (or the shipped folder missing from a broken install)."""
    if not settings.detect_names:
        return None
    if settings.ner_model_path:
        return Path(settings.ner_model_path).expanduser()
    return NER_MODEL if (NER_MODEL / "config.cfg").exists() else None


def names_detected(settings: GuardSettings) -> bool:
    return ner_model_dir(settings) is not None


class PiiScanner:
    """Builds the Presidio analyzer at first use; thread-safe afterwards."""

    def __init__(self, settings: GuardSettings | None = None) -> None:
        self.settings = settings or GuardSettings()
        self._analyzer: Any = None
        self._lock = threading.Lock()

    @property
    def names_detected(self) -> bool:
        return names_detected(self.settings)

    def scan(self, text: str) -> list[PiiFinding]:
        entities = list(self.settings.pii_entities)
        results = self.analyzer.analyze(
            text=text, language="en", entities=entities, score_threshold=self.settings.pii_min_score
        )
        found = [PiiFinding(r.entity_type, r.start, r.end, text[r.start : r.end], float(r.score))
                 for r in results]  # fmt: skip
        found.extend(_custom_terms(text, self.settings.custom_terms))
        return resolve_overlaps(found)

    @property
    def analyzer(self) -> Any:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = build_analyzer(self.settings)
            return self._analyzer


def _custom_terms(text: str, terms: list[str]) -> list[PiiFinding]:
    import re

    found: list[PiiFinding] = []
    for term in filter(None, terms):
        for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE):
            found.append(PiiFinding("CUSTOM", m.start(), m.end(), m.group(), 1.0))
    return found


def build_analyzer(settings: GuardSettings) -> Any:
    _keep_tldextract_offline()
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    engine = _nlp_engine(ner_model_dir(settings))
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    kept = [r for r in registry.recognizers if getattr(r, "name", "") in PRESIDIO_RECOGNIZERS]
    registry.recognizers = kept
    registry.add_recognizer(_name_recognizer())
    registry.add_recognizer(_pattern_recognizer())
    return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])


def _keep_tldextract_offline() -> None:
    """Presidio validates e-mail domains with tldextract, whose default fetches a list."""
    import tldextract
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    email_recognizer.tldextract = _OfflineTld(offline)  # type: ignore[assignment]


class _OfflineTld:
    def __init__(self, extractor: Any) -> None:
        self.extract = extractor


def _nlp_engine(ner_model: Path | None) -> Any:
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    model_dir = ner_model or ensure_blank_pipeline()
    if not model_dir.is_dir():
        raise GuardError(f"NER model not found at {model_dir}: point ner_model_path at a "
                         "local spaCy model folder, or clear it.")  # fmt: skip
    config = NerModelConfiguration(labels_to_ignore=["CARDINAL", "ORDINAL", "QUANTITY", "MONEY",
                                                     "PERCENT", "DATE", "TIME", "LANGUAGE",
                                                     "LAW", "EVENT", "WORK_OF_ART", "PRODUCT",
                                                     "NORP"],
                                   model_to_presidio_entity_mapping=NER_LABELS)  # fmt: skip
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": str(model_dir)}],
                            ner_model_configuration=config)  # fmt: skip
    engine.load()
    _add_lower_lemmas(engine.get_nlp("en"))
    return engine


def _add_lower_lemmas(nlp: Any) -> None:
    from spacy.language import Language

    if "enclave_lower_lemma" not in Language.factories:

        @Language.component("enclave_lower_lemma")
        def lower_lemma(doc: Any) -> Any:
            # A blank pipeline has no lemmatizer; context words match on lower-cased forms.
            for token in doc:
                if not token.lemma_:
                    token.lemma_ = token.lower_
            return doc

    if "enclave_lower_lemma" not in nlp.pipe_names:
        nlp.add_pipe("enclave_lower_lemma", last=True)


def ensure_blank_pipeline(path: Path = BLANK_PIPELINE) -> Path:
    """The shipped blank pipeline; rebuilt from spaCy itself if the folder is missing."""
    if not (path / "config.cfg").exists():
        import spacy

        spacy.blank("en").to_disk(path)
    return path


def _name_recognizer() -> Any:
    """Presidio's spaCy recognizer, told that our model also finds street addresses."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    return SpacyRecognizer(supported_entities=sorted(set(NER_LABELS.values())))


def _pattern_recognizer() -> Any:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class EnclavePatternRecognizer(EntityRecognizer):
        """Our checksummed patterns (core.guard.patterns) as one Presidio recognizer."""

        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            wanted = tuple(entities) if entities else None
            return [RecognizerResult(f.type, f.start, f.end, f.score)
                    for f in find_pii_fast(text, wanted)]  # fmt: skip

    return EnclavePatternRecognizer(
        supported_entities=list(PATTERN_ENTITIES), name="EnclavePatternRecognizer"
    )

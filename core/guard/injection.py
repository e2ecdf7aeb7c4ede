"""Prompt-injection detection for text a model will read: rules plus learned scorers.

Rules catch the blatant forms (instruction overrides, role switches, invisible Unicode,
encoded payloads, exfiltration links). The learned verdict is the fine-tuned classifier's
(core.guard.classifier), at a threshold per kind of text: on every question, and at ingest
on the passages that the fast linear scorers below, or a weaker rule, find suspect.

The linear scorers are logistic regressions on sentence
embeddings joined with hashed character n-grams: for document chunks, two scorers on the
all-MiniLM-L6-v2 vectors that ingest already computes; for what a user types (questions,
`enclave guard scan`), prompt-length texts are read by the same pair of scorers trained on a
multilingual encoder's vectors instead (core.guard.multilingual). Letter-spaced text
("I g n o r e ...") is also scored with its spacing removed. Weights are trained by
benchmarks/guard_train_injection.py; their data and licences are listed in
resources/guard/injection_training.md.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import GuardError
from core.guard import multilingual
from core.guard.settings import INJECTION_PREFILTER
from core.resources import RESOURCES

WEIGHTS_PATH = RESOURCES / "guard" / "injection_lr.npz"
SCORER_MODEL_ID = "all-MiniLM-L6-v2"
# The scorers were trained on float32 MiniLM vectors; the fp32 ONNX export gives the same
# vectors as sentence-transformers on torch (tests/integration/test_guard_vectors.py) without
# loading torch, which the installer's bundle does not carry.
SCORER_EMBEDDER = f"{SCORER_MODEL_ID}@onnx"
MULTILINGUAL_WEIGHTS_PATH = WEIGHTS_PATH.with_name("injection_e5_lr.npz")
# The scorer is trained on prompts (~10-60 words). Document chunks are longer and read as
# more "instruction-like" to it (12% of public PDF chunks scored >= 0.5), so long texts need
# a learned probability of 0.7 to reach 0.5 (about 4% of those chunks), and are scored in
# windows of prompt length when they sit in the grey zone (learned probability 0.2-0.7).
LONG_TEXT_WORDS = 64
LONG_TEXT_LOGIT_SHIFT = float(np.log(0.7 / 0.3))
GREY_ZONE_LOGIT = float(np.log(0.2 / 0.8)) - LONG_TEXT_LOGIT_SHIFT
WINDOW_WORDS, WINDOW_STRIDE = 40, 20
# One to three words ("hi", "ok", "continue", "Tell me more") give the embedding almost
# nothing to read: both scorers put such chat turns anywhere between 0.2 and 0.85. There the
# learned probability must reach 0.9 to count as 0.5; rules still apply in full.
SHORT_TEXT_WORDS = 4
SHORT_TEXT_LOGIT_SHIFT = float(np.log(0.9 / 0.1))
CHAR_FEATURES = 2**15
# Weaker rules that make a passage worth the classifier's reading, whatever the linear scorers say.
SUSPECT_RULE_WEIGHT = 0.3
# Six or more single characters in a row, one space apart ("S a y t h a t ..."): spacing
# that hides the words from embeddings and n-grams alike. Two or more spaces mark a word gap.
SPACED_LETTERS = re.compile(r"(?<!\S)\w(?: {1,3}\w){5,}(?!\S)")


def text_windows(text: str) -> list[str]:
    words = text.split()
    last = max(1, len(words) - WINDOW_WORDS + WINDOW_STRIDE)
    return [" ".join(words[k : k + WINDOW_WORDS]) for k in range(0, last, WINDOW_STRIDE)]


def despaced(text: str) -> str:
    """`text` with its letter-spaced runs joined into words."""

    def join(run: re.Match[str]) -> str:
        return " ".join(word.replace(" ", "") for word in re.split(r" {2,}", run.group()))

    return SPACED_LETTERS.sub(join, text)


def char_ngram_features(texts: list[str]) -> Any:
    """Hashed char 3-5 grams: stateless, so the weights file is all the model there is."""
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(n_features=CHAR_FEATURES, analyzer="char_wb",
                                   ngram_range=(3, 5), alternate_sign=False, norm="l2")  # fmt: skip
    return vectorizer.transform(texts)


# (reason, pattern, weight): weight >= 0.9 flags on its own; lower weights add to the model.
_I = re.IGNORECASE


def _rx(pattern: str) -> re.Pattern[str]:
    """Rules match `normalized` (lower-cased) text: case-insensitive search is ~2x slower."""
    return re.compile(pattern.lower())


# Families, not strings: each pattern names a kind of attack and accepts many wordings of it.
_OVERRIDE_VERB = (
    r"(?:ignor(?:e|ing)|disregard(?:ing)?|forget(?:ting)?|drop(?:ping)?|discard(?:ing)?|abandon"
    r"(?:ing)?|set aside|throw (?:away|out)|stop following|do not follow|don't follow|pay no "
    r"attention to)"
)
_AI_OBJECT = (
    r"(?:instructions?|prompts?|rules?|directives?|directions|guidelines?|tasks?|context|"
    r"commands?|orders|constraints|restrictions|programming|guidance|assignments?)"
)
RULES: list[tuple[str, re.Pattern[str], float]] = [
    ("instruction_override", _rx(
        rf"\b{_OVERRIDE_VERB}\b[^.!?\n]{{0,40}}\b(?:previous|prior|above|earlier|preceding|all|any|"
        rf"your|system|initial|original|foregoing)\b[^.!?\n]{{0,30}}\b{_AI_OBJECT}\b"), 0.95),
    ("instruction_override", _rx(  # weaker verbs or only "the": common in harmless text
        rf"\b(?:{_OVERRIDE_VERB}|override|bypass|skip|remove)\b[^.!?\n]{{0,40}}\b{_AI_OBJECT}\b",), 0.4),
    ("instruction_override", _rx(
        r"\b(?:forget|ignore|disregard)\b (?:about )?(?:everything|all(?: of)? (?:that|this))\b"
        r"[^.!?\n]{0,20}\b(?:before|above|prior|so far|earlier|previously|you (?:were|have been) "
        r"told|i (?:said|told you)|we discussed)"), 0.95),
    ("instruction_override", _rx(  # German, French, Spanish, Italian, Portuguese, Slavic
        r"\b(?:vergiss|vergessen sie|ignoriere|ignorieren sie|missachte|verwirf|oublie|oubliez|"
        r"ignorez|olvida|olvide|ignora|dimentica|dimenticate|esqueça|esqueca|zaboravi|забудь|"
        r"забудьте|игнорируй)\b[^.!?\n]{0,40}(?:anweisungen|instruktionen|regeln|aufgaben|befehle|"
        r"vorgaben|alles (?:davor|bisherige|vorherige|oben)|instructions|consignes|règles|tout ce "
        r"qui précède|instrucciones|reglas|órdenes|todo lo (?:anterior|que)|istruzioni|regole|"
        r"instruções|regras|instrukcij|инструкц|правил)"), 0.95),
    ("instruction_override", _rx(
        r"\babweichend (?:zu|von) (?:den )?(?:vorherigen|bisherigen|obigen) (?:instruktionen|"
        r"anweisungen)|\b(?:alle|sämtliche) (?:vorherigen|bisherigen|vorangegangenen) (?:"
        r"informationen|anweisungen|aufgaben)\b[^.!?\n]{0,60}(?:hinter sich|hinter dir|irrelevant"
        r"|streichen|vergessen)"), 0.95),
    ("instruction_override", _rx(  # German puts the verb last
        r"\b(?:obigen|vorherigen|bisherigen|vorangegangenen|früheren|ursprünglichen) (?:anweisungen|"
        r"instruktionen|regeln|aufgaben|befehle|informationen|vorgaben)\b[^.!?\n]{0,30}"
        r"\b(?:ignorieren|vergessen|missachten|verwerfen|außer acht lassen)\b"), 0.95),
    ("instruction_override", _rx(  # infinitives: "you have to forget your instructions"
        r"\b(?:olvidar|ignorar|oublier|ignorer|dimenticare|ignorare|esquecer)\b[^.!?\n]{0,30}"
        r"(?:instrucciones|instructions|consignes|istruzioni|instruções)"), 0.95),
    ("instruction_override", _rx(  # "forget everything" alone is often harmless
        r"\b(?:forget|ignore|disregard) (?:about )?everything\b|\bvergiss alles\b|\bolvid\w* todo\b|"
        r"\boubli\w* tout\b|\bdimentic\w* tutto\b|\besque\w* tudo\b"), 0.5),
    ("new_instructions", _rx(
        r"\b(?:new|updated|real|actual|secret|additional|different) (?:instructions?|task|orders?|"
        r"rules?|challenge|assignment)\s*(?::|-|are|is|follows?|for you)|\bnew instructions follow"
        r"|\b(?:now|but now|next)\b[^.!?\n]{0,30}\b(?:another|a new|new|further|more) (?:tasks?|"
        r"challenge|instructions?)\b|\bneue (?:aufgabe|anweisung)|\b(?:nun|jetzt) folgen "
        r"(?:neue|weitere)|(?:^|\n|\\n)\s*instruction\s*:"), 0.5),
    ("prompt_leak", _rx(
        r"\b(?:reveal|show|print|repeat|output|tell me|display|leak|give me|spell check and display"
        r")\b[^.!?\n]{0,30}\b(?:system prompt|your (?:prompt|instructions|rules|initial)|prompt "
        r"texts?|hidden (?:prompt|instructions)|(?:text|words|prompt|instructions) above|this "
        r"prompt|everything (?:written )?(?:above|before))"), 0.9),
    ("prompt_leak", _rx(
        r"\bwhat (?:was|is|has been) written (?:above|before|at the (?:beginning|start) of this"
        r")|\bprompt-texte\b|\b(?:systemprompt|system-prompt|prompt système|prompt del sistema)"
        r"\b"), 0.9),
    ("role_switch", _rx(
        r"\b(?:you are now|now you are|from now on,? you|you're no longer|you are no longer|"
        r"act as (?:an? )?(?:unfiltered|unrestricted|evil|jailbroken)|pretend (?:to be|you are|"
        r"you're)|imagine you are|stay in (?:character|your role)|du bist (?:jetzt|nun)|jetzt "
        r"bist du|stell dir vor,? du bist|tu so,? als|tu es maintenant|à partir de maintenant,? "
        r"tu es|ahora eres|finge que eres|a partir de ahora eres)\b"), 0.45),
    ("role_switch", _rx(
        r"\b(?:i want you to act as|act as an? [a-z]+ (?:interpreter|terminal|console)|dass sie "
        r"als [^.!?\n]{0,40} fungieren)\b"), 0.45),
    ("output_forcing", _rx(
        r"\b(?:just|only|simply) (?:output|say|print|reply with|respond with|write)\b\s*:?\s*"
        r"[\"']|\bdo not answer (?:this|the) question\b|\bpwned\b|\brepeat after me\s*:?\s*[\"']"
        r"|\bsay (?:yes|no)\s*[.!]"), 0.5),
    ("ai_addressed", _rx(
        r"\b(?:note|message|instructions?|hinweis|nota) (?:to|for|an|para|à) (?:the |any |die |la "
        r"|l')?(?:ai|assistant|language model|llm|chatbot|ki|ia)\b|\bif you are an? (?:ai|llm|"
        r"language model|ai assistant|chatbot)\b(?! research)|\bwenn du ein sprachmodell bist|"
        r"\bsi (?:tu es|eres) un (?:modèle|modelo) de lang"), 0.9),
    ("ai_addressed", _rx(  # "AI assistant summarizing this email: ..."
        r"\b(?:ai|llm|assistant|chatbot|language model|agent)s?\b[^.!?\n]{0,20}\b(?:reading|"
        r"summari[sz]ing|processing|analy[sz]ing|reviewing|parsing) (?:this|these)\b"), 0.9),
    ("jailbreak", _rx(
        r"\b(?:jailbreak|dan mode|do anything now|developer mode|god mode|no restrictions|"
        r"without (?:any )?(?:restrictions|filters|censorship)|no (?:ethical|moral) (?:guidelines|"
        r"restrictions|limits|boundaries)|never refuses?|(?:stay|remain) in character|break(?:s|ing)? "
        r"character)\b"), 0.6),
    ("fake_system_turn", _rx(
        r"(?:^|\n)\s*(?:system|assistant)\s*:|<\|?(?:im_start|system|endoftext)\|?>|\[/?INST\]"
        r"|###\s*(?:system|instruction)"), 0.6),
    ("exfiltration_link", _rx(
        r"!\[[^\]]*\]\(\s*https?://[^)\s]+[?&][^)\s]*="), 0.95),
    ("exfiltration_request", _rx(
        r"\b(?:send|post|upload|forward|exfiltrate|email)\b[^.!?\n]{0,40}\b(?:conversation|chat "
        r"history|api keys?|passwords?|credentials|secrets|the data)\b[^.!?\n]{0,30}\b(?:to|at)\b"
        r"[^.!?\n]{0,20}(?:https?://|@|\bserver\b|\bwebhook\b)"), 0.9),
]  # fmt: skip

INVISIBLE_RE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
BASE64_RE = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
INJECTION_WORDS = re.compile(r"ignore|instruction|system prompt|disregard|you are|password", _I)


@dataclass(frozen=True)
class InjectionResult:
    score: float
    flagged: bool
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "flagged": self.flagged,
            "reasons": list(self.reasons),
        }


def normalized(text: str) -> str:
    """What the rules read: compatibility forms folded (fullwidth, ligatures), invisible
    characters dropped (they can split a trigger word), lower case."""
    return INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text)).lower()


def rule_hits(text: str) -> list[tuple[str, float]]:
    lowered = normalized(text)
    hits = [(reason, weight) for reason, rx, weight in RULES if rx.search(lowered)]
    invisible = len(INVISIBLE_RE.findall(text))
    if invisible >= 3:
        hits.append(("invisible_unicode", 0.95 if invisible >= 8 else 0.5))
    if _has_encoded_instructions(text):
        hits.append(("encoded_payload", 0.9))
    return hits


def _has_encoded_instructions(text: str) -> bool:
    for m in BASE64_RE.finditer(text):
        try:
            decoded = base64.b64decode(m.group() + "==", validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if INJECTION_WORDS.search(decoded) or rule_hits_plain(decoded):
            return True
    return False


def rule_hits_plain(text: str) -> bool:
    lowered = normalized(text)
    return any(w >= 0.9 and rx.search(lowered) for _, rx, w in RULES)


@dataclass(frozen=True)
class LinearScorer:
    """A logistic regression over [embedding, hashed char n-grams], with its bias shifted so
    that logit 0 is its calibrated operating point."""

    coef: np.ndarray
    char_coef: np.ndarray
    bias: float

    @classmethod
    def from_weights(cls, data: Any, prefix: str) -> LinearScorer:
        coef, char_coef = data[f"{prefix}coef"], data[f"{prefix}char_coef"]
        return cls(
            coef.astype(np.float32), char_coef.astype(np.float32), float(data[f"{prefix}bias"])
        )

    def logits(self, embeddings: np.ndarray, chars: Any) -> np.ndarray:
        return np.asarray(embeddings @ self.coef + self.bias + chars @ self.char_coef, np.float32)


# Two scorers per encoder share the features; a text's learned logit is the larger of theirs.
# "prompt" is trained on deepset and NotInject prompts; "broad" adds ~20k licensed prompts of
# other collections and benign prose, calibrated strictly (0.3% on each benign group) so that
# it adds the attack styles the prompt scorer never saw without adding false positives.
SCORER_PREFIXES = {"prompt": "", "broad": "broad_"}


class InjectionDetector:
    """Scores texts in [0, 1]; `threshold` (0.5 is the trained operating point) flags.

    `score` is for document chunks, `score_prompts` for what a user types. They differ only in
    prompt-length texts, which `score_prompts` gives to the multilingual scorers in place of
    the MiniLM ones (same training data plus everyday requests in six languages, vectors that
    read ~100 languages). Without the multilingual encoder (`multilingual_unavailable` says
    why) both read texts alike."""

    def __init__(self, threshold: float = 0.5, embedder: Any = None,
                 weights_path: Path = WEIGHTS_PATH, window_long_texts: bool = True,
                 multilingual_encoder: Any = None,
                 multilingual_weights_path: Path | None = MULTILINGUAL_WEIGHTS_PATH,
                 classifier: Any = None, use_classifier: bool = True) -> None:  # fmt: skip
        """`use_classifier=False` gives the detector as it was before the fine-tuned
        classifier (the linear scorers decide alone), for comparisons."""
        self.threshold = threshold
        self.use_classifier = use_classifier
        self._classifier = classifier
        self.window_long_texts = window_long_texts
        self._embedder = embedder
        self._multilingual_encoder = multilingual_encoder
        self._lock = threading.Lock()
        self.scorers = _load_scorers(weights_path)
        self.multilingual_scorers = (
            _load_scorers(multilingual_weights_path) if multilingual_weights_path else {}
        )

    @property
    def embedding_dim(self) -> int:
        return int(next(iter(self.scorers.values())).coef.shape[0])

    def score(self, texts: list[str], embeddings: np.ndarray | None = None,
              kinds: list[str] | None = None,
              prefilter: float = INJECTION_PREFILTER) -> list[InjectionResult]:  # fmt: skip
        """Document passages. `embeddings`: normalized all-MiniLM-L6-v2 vectors of `texts`,
        if already computed; `kinds`: "chunk" (the default) or "email" per text.

        The classifier reads a 256-token passage in ~45 ms on two cores, about as long as
        embedding it, so at ingest it reads only the passages the linear scorers (on the
        vectors ingest already has) give at least `prefilter` (0: every passage) or a weaker
        rule matches; the others keep the linear scorers' score, capped below the threshold."""
        linear = self._learned_logits(texts, embeddings, prompts=False)
        if not self._use_classifier():
            return self._results(texts, linear)
        kinds = kinds or ["chunk"] * len(texts)
        bar = float(np.log(prefilter / (1 - prefilter))) if 0 < prefilter < 1 else -np.inf
        suspect = [i for i, t in enumerate(texts) if linear[i] >= bar
                   or any(w >= SUSPECT_RULE_WEIGHT for _, w in rule_hits(t))]  # fmt: skip
        logits = np.minimum(linear, min(bar, -1.0))
        if suspect:
            logits[suspect] = self._classifier_margins(
                [texts[i] for i in suspect], [kinds[i] for i in suspect]
            )
        return self._results(texts, logits)

    def score_prompts(
        self, texts: list[str], embeddings: np.ndarray | None = None
    ) -> list[InjectionResult]:
        """Questions and other typed text; `embeddings` as for `score` (the linear scorers
        read them when the classifier is off)."""
        if self._use_classifier():
            return self._results(texts, self._classifier_margins(texts, ["question"] * len(texts)))
        return self._results(texts, self._learned_logits(texts, embeddings, prompts=True))

    def prepare(self) -> None:
        """Load the classifier now (the window warms the guard up at start)."""
        self._use_classifier()

    def _use_classifier(self) -> bool:
        if self.use_classifier and self._classifier is None:
            from core.guard.classifier import shared_classifier

            self._classifier = shared_classifier()
        return self.use_classifier

    def _classifier_margins(self, texts: list[str], kinds: list[str]) -> np.ndarray:
        """The classifier's logit over each text's kind threshold; letter-spaced texts are
        read as written and joined up, the larger margin counting."""
        margins = np.zeros(len(texts), np.float32)
        for kind in dict.fromkeys(kinds):
            rows = [i for i, k in enumerate(kinds) if k == kind]
            margins[rows] = self._classifier.margins([texts[i] for i in rows], kind)
        spaced = [i for i, t in enumerate(texts) if SPACED_LETTERS.search(t)]
        for i in spaced:
            joined = self._classifier.margins([despaced(texts[i])], kinds[i])[0]
            margins[i] = max(margins[i], joined)
        return margins

    @property
    def multilingual_unavailable(self) -> str | None:
        if not self.multilingual_scorers:
            return "no multilingual scorer weights"
        return None if self._multilingual() else multilingual.unavailable_reason()

    def _multilingual(self) -> Any:
        if self._multilingual_encoder is None:
            self._multilingual_encoder = multilingual.shared_encoder()
        return self._multilingual_encoder

    def _results(self, texts: list[str], logits: np.ndarray) -> list[InjectionResult]:
        learned = 1.0 / (1.0 + np.exp(-logits))
        return [self._combine(t, float(p)) for t, p in zip(texts, learned, strict=True)]

    def _learned_logits(
        self, texts: list[str], embeddings: np.ndarray | None, prompts: bool
    ) -> np.ndarray:
        """Letter-spaced texts are scored as written and joined up; the larger logit counts."""
        logits = self._scorer_logits(texts, embeddings, prompts)
        spaced = [i for i, t in enumerate(texts) if SPACED_LETTERS.search(t)]
        if spaced:
            joined = self._scorer_logits([despaced(texts[i]) for i in spaced], None, prompts)
            logits[spaced] = np.maximum(logits[spaced], joined)
        # Counted on the text as written: joined-up letters make one long "word".
        logits[[i for i, t in enumerate(texts) if len(t.split()) < SHORT_TEXT_WORDS]] -= (
            SHORT_TEXT_LOGIT_SHIFT
        )
        return logits

    def _scorer_logits(
        self, texts: list[str], embeddings: np.ndarray | None, prompts: bool
    ) -> np.ndarray:
        """Each text's larger scorer logit: the multilingual pair's for the rows it reads,
        the MiniLM pair's for the rest (which alone need MiniLM vectors)."""
        if not texts:
            return np.zeros(0, np.float32)
        chars = char_ngram_features(texts)
        rows = self._multilingual_rows(texts) if prompts else []
        if not rows:  # every chunk at ingest: no row copies on that path
            return self._minilm_logits(texts, self._minilm_vectors(texts, embeddings), chars)
        logits = np.zeros(len(texts), np.float32)
        vectors = self._multilingual().embed([texts[i] for i in rows])
        scorers = self.multilingual_scorers.values()
        logits[rows] = np.max([s.logits(vectors, chars[rows]) for s in scorers], axis=0)
        rest = sorted(set(range(len(texts))) - set(rows))
        if rest:
            given = (
                embeddings[rest]
                if embeddings is not None and len(embeddings) == len(texts)
                else None
            )
            texts_rest = [texts[i] for i in rest]
            vectors = self._minilm_vectors(texts_rest, given)
            logits[rest] = self._minilm_logits(texts_rest, vectors, chars[rest])
        return logits

    def _minilm_vectors(self, texts: list[str], embeddings: np.ndarray | None) -> np.ndarray:
        """`embeddings` when they are MiniLM vectors of `texts`, else computed here."""
        if embeddings is None or embeddings.shape != (len(texts), self.embedding_dim):
            embeddings = self._embed(texts)
        return embeddings.astype(np.float32)

    def _multilingual_rows(self, texts: list[str]) -> list[int]:
        """The prompt-length texts, when the multilingual pair can read them. Long texts stay
        with the MiniLM scorers, which are calibrated for them (in trials a multilingual prompt
        scorer flagged 13% of held-out PDF chunks)."""
        rows = [i for i, t in enumerate(texts) if len(t.split()) <= LONG_TEXT_WORDS]
        if not rows or not self.multilingual_scorers or self._multilingual() is None:
            return []
        return rows

    def _minilm_logits(self, texts: list[str], embeddings: np.ndarray, chars: Any) -> np.ndarray:
        long_texts = [i for i, t in enumerate(texts) if len(t.split()) > LONG_TEXT_WORDS]
        return np.max([self._logits(scorer, texts, embeddings, chars, long_texts)
                       for scorer in self.scorers.values()], axis=0)  # fmt: skip

    def _logits(self, scorer: LinearScorer, texts: list[str], embeddings: np.ndarray,
                chars: Any, long_texts: list[int]) -> np.ndarray:  # fmt: skip
        logits = scorer.logits(embeddings, chars)
        logits[long_texts] -= LONG_TEXT_LOGIT_SHIFT
        if self.window_long_texts:
            self._raise_by_windows(scorer, texts, embeddings, long_texts, logits)
        return logits

    def _raise_by_windows(self, scorer: LinearScorer, texts: list[str], embeddings: np.ndarray,
                          long_texts: list[int], logits: np.ndarray) -> None:  # fmt: skip
        """A short attack inside a long chunk is diluted in the chunk's features, so grey-zone
        long texts are also scored per window of prompt length (max over windows). Windows
        reuse the chunk's embedding and only redo the character n-grams: re-embedding every
        window cost ~15x the whole scan at ingest."""
        grey = [i for i in long_texts if GREY_ZONE_LOGIT <= logits[i] < 0]
        windows = [(i, w) for i in grey for w in text_windows(texts[i])]
        if not windows:
            return
        char_logits = char_ngram_features([w for _, w in windows]) @ scorer.char_coef
        base = embeddings @ scorer.coef + scorer.bias - LONG_TEXT_LOGIT_SHIFT
        for (i, _), char_logit in zip(windows, np.asarray(char_logits), strict=True):
            logits[i] = max(logits[i], base[i] + char_logit)

    def _combine(self, text: str, learned: float) -> InjectionResult:
        hits = rule_hits(text)
        strong = max((w for _, w in hits if w >= 0.9), default=0.0)
        boost = sum(w for _, w in hits if w < 0.9) * 0.5
        score = max(strong, min(1.0, learned + boost))
        reasons = [r for r, _ in hits]
        if learned >= self.threshold:
            reasons.append("classifier")
        return InjectionResult(score, score >= self.threshold, tuple(dict.fromkeys(reasons)))

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._embedder is None:
                from core.index.embedder import load_embedder

                self._embedder = load_embedder(SCORER_EMBEDDER)
        return np.asarray(self._embedder.embed(texts), dtype=np.float32)


def _load_scorers(path: Path) -> dict[str, LinearScorer]:
    try:
        data = np.load(path)
    except OSError as exc:
        raise GuardError(f"Injection scorer weights missing at {path}: {exc}") from exc
    return {
        name: LinearScorer.from_weights(data, prefix)
        for name, prefix in SCORER_PREFIXES.items()
        if f"{prefix}coef" in data
    }

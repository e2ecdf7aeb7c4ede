"""Question condensing: a follow-up becomes a standalone search query.

Rule-based on purpose: a 135M model rewrites questions unreliably and spends a second
or more doing it, while retrieval only needs the topic words of the earlier turn. A
question that leans on the conversation (a pronoun, "and what about...", very short)
is searched together with the previous standalone query; a self-contained question is
searched as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FOLLOW_UP_OPENERS = (
    "and ", "what about", "how about", "also", "but ", "so ", "then ", "why", "how come",
    "what else", "anything else", "more ", "tell me more", "same ", "compare",
)  # fmt: skip
REFERRING_WORDS = {
    "it", "its", "they", "them", "their", "this", "that", "these", "those", "he",
    "she", "his", "her", "there", "above", "former", "latter", "previous", "same",
}  # fmt: skip
SHORT_QUESTION_WORDS = 4
WORD = re.compile(r"[^\W_]+")


def is_follow_up(question: str) -> bool:
    text = question.strip().lower()
    words = WORD.findall(text)
    if len(words) <= SHORT_QUESTION_WORDS:
        return True
    if text.startswith(FOLLOW_UP_OPENERS):
        return True
    return any(word in REFERRING_WORDS for word in words)


def condense_question(question: str, earlier_queries: Sequence[str]) -> str:
    """The search query for `question`, given the search queries of earlier turns."""
    if not earlier_queries or not is_follow_up(question):
        return question.strip()
    return f"{earlier_queries[-1].strip()} {question.strip()}"

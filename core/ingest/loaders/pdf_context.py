"""What a number on a PDF page needs to be found again: its table's column heads.

Financial statements are mostly unruled tables. Their text comes out row by row
("Receivables, net 1,803 1,550"), so every number keeps its row label; what it loses is
the column it sits in ("August 29, 2021 | August 30, 2020"), which is printed once above
the first row. `TableHead` watches the lines under a heading and keeps the period-like
lines before the first row of figures, so that every block of that table (and every
chunk cut from it) can carry them.
"""

from __future__ import annotations

import re

MAX_HEAD_CHARS = 160
PROSE_WORDS = 10  # a line this long without a figure is running text, not a table row
_PERIOD_WORDS = {
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "year", "years", "month", "months",
    "ended", "ending", "end", "as", "of", "at", "for", "the", "fiscal", "quarter",
    "quarters", "three", "six", "nine", "twelve", "weeks", "week", "and", "q1", "q2",
    "q3", "q4", "fy", "first", "second", "third", "fourth", "half", "period", "to",
}  # fmt: skip
_MEANINGFUL = _PERIOD_WORDS - {"as", "of", "at", "for", "the", "and", "to", "end"}
_YEAR = re.compile(r"^(19|20)\d\d$")
_DAY = re.compile(r"^\d{1,2}$")
_FIGURE = re.compile(r"^[$€£(\-–—]*\s*\d[\d,.]*\s*\)?%?$")


def is_period_line(text: str) -> bool:
    """'August 29, 2021', 'Year Ended December 31,', '2021 2020 2019'."""
    words = [w.strip(",.:;()").lower() for w in text.split()]
    words = [w for w in words if w]
    if not words:
        return False
    known = all(w in _PERIOD_WORDS or _YEAR.match(w) or _DAY.match(w) for w in words)
    return known and any(_YEAR.match(w) or w in _MEANINGFUL for w in words)


def is_figure(text: str) -> bool:
    """A table cell holding an amount (not a year): '11,258', '(1,137)', '$ 4', '12.5%'."""
    stripped = text.strip()
    return bool(_FIGURE.match(stripped)) and not _YEAR.match(stripped.strip("$ "))


class TableHead:
    """The column heads of the table being read, learned line by line on one page
    (reset at each page, and by running text after the table)."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._open = True  # no row of figures yet: period lines still belong to the head
        self.text = ""

    def reset(self) -> None:
        """A new page, or running text: what comes next is not under the old head."""
        self._lines, self._open, self.text = [], True, ""

    def see(self, line: str) -> None:
        if is_period_line(line):
            if not self._open:  # a second table under the same heading
                self._lines, self._open = [], True
            self._lines.append(" ".join(line.split()))
            return
        words = line.split()
        if any(is_figure(word) for word in words):
            if self._open:
                self._open = False
                head = " ".join(self._lines)
                self.text = head if len(head) <= MAX_HEAD_CHARS else ""
        elif len(words) >= PROSE_WORDS:  # the table has ended: running text again
            self.reset()


_REGISTRANT = re.compile(r"\(?\s*exact name of (?:the )?registrant", re.I)
_NOT_A_NAME = re.compile(r"commission file|\bnumber\b|\d{3}", re.I)
_FORM = re.compile(r"\bform\s+(10-K|10-Q|8-K|20-F|40-F|6-K|S-1)\b", re.I)
_PERIOD = re.compile(
    # Cover pages set in two columns interleave a few words ("Commission file").
    r"for the (fiscal year|quarterly period|year) ended\b(?:\W+[A-Za-z]+){0,3}?\W+"
    r"([A-Z][a-z]+\.? \d{1,2}, ?\d{4})",
    re.I,
)


def filing_title(cover: str) -> str | None:
    """'JPMorgan Chase & Co. Form 10-Q, quarterly period ended March 31, 2021' from the
    cover page of an SEC filing: the registrant's name is printed just above '(Exact
    name of registrant as specified in its charter)'. None for anything else."""
    lines = [" ".join(line.split()) for line in cover.splitlines()]
    lines = [line for line in lines if line]
    for number, line in enumerate(lines):
        if _REGISTRANT.search(line) and number > 0:
            name = lines[number - 1]
            break
    else:
        return None
    if len(name) > 80 or sum(c.isalpha() for c in name) < 3 or _NOT_A_NAME.search(name):
        return None
    what = []
    if form := _FORM.search(cover):
        what.append(f"Form {form.group(1).upper()}")
    if period := _PERIOD.search(" ".join(lines)):
        what.append(f"{period.group(1).lower()} ended {period.group(2)}")
    return f"{name}, {' '.join(what)}" if what else name

"""The way analysts ask, rewritten into the words filings use (keyword side only).

"FY2022" is one token to the full-text index and never matches the "2022" a table
prints; "balance sheet" is printed "statement of financial position" by some filers; a
ticker ("JPM") is the start of the company's name ("JPMorgan Chase & Co."). Expansion
only adds words, so the original phrasing still matches; the embedding model reads the
question as asked.
"""

from __future__ import annotations

import re

_FISCAL_YEAR = re.compile(r"\b(?:FY|fiscal(?:\s+year)?)\s*'?((?:19|20)?\d\d)\b", re.I)
_QUARTER = re.compile(r"\b(?:([1-4])Q|Q([1-4]))\s*(?:FY)?\s*'?((?:19|20)\d\d)?\b", re.I)
_QUARTER_WORDS = {"1": "first", "2": "second", "3": "third", "4": "fourth"}
_ACRONYM = re.compile(r"\b[A-Z]{3,5}\b")
# Analyst names for statements and metrics -> the names filings print.
_GLOSSARY = {
    r"\bbalance sheets?\b": "statement of financial position consolidated balance sheets",
    r"\bstatement of financial position\b": "balance sheets",
    r"\b(?:P&L|income statements?|profit and loss)\b": "statements of operations income",
    r"\bcash flows? statements?\b|\bstatements? of cash flows?\b": "statements of cash flows",
    r"\bcapex\b": "capital expenditures purchases of property and equipment",
    r"\bPP&E\b": "property plant and equipment",
    r"\bCOGS\b": "cost of goods sold cost of sales",
    r"\bD&A\b": "depreciation and amortization",
    r"\bSG&A\b": "selling general and administrative",
    r"\bEPS\b": "earnings per share",
    r"\bCEO\b": "chief executive officer",
    r"\bCFO\b": "chief financial officer",
    r"\brevenues?\b": "net sales revenues",
    r"\bworking capital\b": "current assets current liabilities",
}
_GLOSSARY_PATTERNS = [(re.compile(p, re.I), words) for p, words in _GLOSSARY.items()]


def expand_query(query: str) -> str:
    """The query plus the filing-side words for its fiscal periods and terms."""
    extra: list[str] = []
    for match in _FISCAL_YEAR.finditer(query):
        extra.append(_full_year(match.group(1)))
    for match in _QUARTER.finditer(query):
        number = match.group(1) or match.group(2)
        extra.append(f"{_QUARTER_WORDS[number]} quarter")
        if match.group(3):
            extra.append(_full_year(match.group(3)))
    for pattern, words in _GLOSSARY_PATTERNS:
        if pattern.search(query):
            extra.append(words)
    return " ".join([query, *dict.fromkeys(extra)])


def name_terms(query: str) -> list[str]:
    """Words that may name the company: tickers ("JPM"), capitalised words inside a
    sentence ("Costco"), and runs of them written together ("americanwaterworks"), as
    lowercase letters, to be looked for in document titles and file names."""
    terms: set[str] = set()
    for sentence in _SENTENCE.split(query):
        words = [w.strip(_PUNCTUATION) for w in sentence.split()][1:]  # not the first
        run: list[str] = []
        for word in [*words, ""]:
            letters = re.sub(r"[^A-Za-z]", "", word.split("'")[0].split("’")[0])
            if _may_name(letters):
                run.append(letters.lower())
                continue
            if run:
                terms.update(run)
                if len(run) > 1:
                    terms.add("".join(run))
            run = []
    terms.update(a.lower() for a in _ACRONYM.findall(query) if _may_name(a))
    return sorted(terms, key=len, reverse=True)


def _may_name(word: str) -> bool:
    return (
        len(word) >= 3
        and word[0].isupper()
        and word.lower() not in _COMMON
        and word.upper() not in _NOT_NAMES
    )


def name_key(*texts: str) -> str:
    """A title and a file name as one run of lowercase letters and digits."""
    return re.sub(r"[^a-z0-9]", "", " ".join(texts).lower())


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PUNCTUATION = "\"'()[],.;:?!"
_NOT_NAMES = {"FY", "YOY", "TTM", "LTM", "USD", "EUR", "GBP", "CEO", "CFO", "ROA", "ROE",
              "EPS", "FCF", "DPO", "DSO", "COGS", "GAAP", "VAR", "PPE", "SGA", "EBIT", "EBITDA",
              "CAGR", "ROI", "ROIC", "USA", "SEC", "FAQ"}  # fmt: skip
_COMMON = {"the", "what", "which", "how", "does", "did", "has", "have", "is", "are", "was",
           "using", "based", "answer", "round", "give", "provide", "calculate", "define",
           "among", "according", "assume", "approach", "if", "by", "from", "in", "as",
           "balance", "sheet", "income", "statement", "cash", "flow", "total", "net",
           "fiscal", "year", "quarter", "inc", "corp", "corporation", "company"}  # fmt: skip


def _full_year(year: str) -> str:
    return year if len(year) == 4 else f"20{year}"

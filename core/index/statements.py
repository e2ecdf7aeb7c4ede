"""The primary financial statements: which one a question needs, which one a page is.

An analyst's question about a figure ("FY2019 fixed asset turnover", "working capital",
"capex as a % of revenue") is answered on the balance sheet, the income statement or the
cash flow statement, and a 10-K prints each once among a hundred pages that use the same
words in prose and notes. Both sides are recognised by the words of the statements
themselves, not by filer: a statement page is known by its line items (a balance sheet
totals its current assets and liabilities), so a page whose heading the layout reader
missed is still recognised.
"""

from __future__ import annotations

import re
from typing import Literal

Statement = Literal["balance", "income", "cash"]

# What in a question points to each statement: its names and the line items or ratios
# computed from it (a turnover ratio needs both the income statement and the balance sheet).
_NEEDS: dict[Statement, re.Pattern[str]] = {
    "balance": re.compile(
        r"balance sheet|financial position|total assets|\bassets\b|liabilit|working capital|"
        r"current ratio|quick ratio|inventor|payable|receivable|\bdebt\b|equity|PP&E|"
        r"property,? plant|fixed asset|return on assets|\bROA\b|\bROE\b|\bDPO\b|\bDSO\b|"
        r"\bDIO\b|capital.intensive|turnover|leverage|solvency|liquidity",
        re.I,
    ),
    "income": re.compile(
        r"income statement|statements? of (?:operations|income|earnings)|P&L|revenue|"
        r"net sales|net income|net earnings|\bCOGS\b|cost of (?:goods|sales|revenue)|"
        r"gross (?:margin|profit)|operating (?:income|margin|profit)|\bEBIT|\bEPS\b|"
        r"earnings per share|margin|turnover|return on assets|\bROA\b|\bROE\b|\bDPO\b|"
        r"interest expense|effective tax rate|capital.intensive",
        re.I,
    ),
    "cash": re.compile(
        r"cash flows?|capex|capital expenditure|free cash flow|\bFCF\b|dividends? paid|"
        r"\bD&A\b|depreciation|operating activities|investing activities|"
        r"financing activities|repurchase|buyback|capital.intensive",
        re.I,
    ),
}

# What marks a statement page, in its heading or its text: the statement's own title, or
# most of its defining lines (an income statement's words are also the prose of MD&A, so
# it needs three of four; the others two of three).
_TITLES: dict[Statement, re.Pattern[str]] = {
    "balance": re.compile(r"balance sheets?|statements? of financial (?:position|condition)", re.I),
    "income": re.compile(
        r"statements? of (?:consolidated )?(?:operations|income|earnings)\b(?! and comp)", re.I
    ),
    "cash": re.compile(r"statements? of (?:consolidated )?cash flows?", re.I),
}
_LINES: dict[Statement, tuple[re.Pattern[str], ...]] = {
    "balance": (
        re.compile(r"total current assets", re.I),
        re.compile(r"total (?:current )?liabilities", re.I),
        re.compile(r"total (?:share|stock)holders.? equity|total equity", re.I),
    ),
    "income": (
        re.compile(r"(?:net income|net earnings|net \(loss\) income|net income \(loss\))", re.I),
        re.compile(r"per (?:common )?share", re.I),
        re.compile(r"(?:total )?(?:net )?(?:revenues?|net sales)|cost of (?:sales|revenue)", re.I),
        re.compile(r"operating (?:income|expenses)|income before income taxes", re.I),
    ),
    "cash": (
        re.compile(r"operating activities", re.I),
        re.compile(r"investing activities", re.I),
        re.compile(r"financing activities", re.I),
    ),
}


def needed_statements(question: str) -> frozenset[Statement]:
    """The statements whose figures the question asks about (none for a prose question)."""
    return frozenset(kind for kind, pattern in _NEEDS.items() if pattern.search(question))


def statement_of(heading: str, text: str) -> frozenset[Statement]:
    """The statements a chunk is part of: named in its heading, or most of their lines in
    its text (a statement split across chunks repeats its heading in each part)."""
    found: set[Statement] = set()
    for kind in _TITLES:
        lines = _LINES[kind]
        if (
            _TITLES[kind].search(heading)
            or sum(bool(line.search(text)) for line in lines) >= len(lines) - 1
        ):
            found.add(kind)
    return frozenset(found)

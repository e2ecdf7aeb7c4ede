"""Query rewriting, table heads and page/document rescoring for long filings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from core.index.query import expand_query, name_key, name_terms
from core.index.search import DEFAULT_TUNING, SearchTuning, is_contents, rescore
from core.index.statements import needed_statements, statement_of
from core.ingest.loaders.pdf_context import TableHead, is_figure, is_period_line

pytestmark = pytest.mark.unit


def test_fiscal_years_and_quarters_gain_the_words_filings_print() -> None:
    expanded = expand_query("What was FY2022 revenue? And in FY 21, Q2 2023?")
    assert {"2022", "2021", "2023", "second", "quarter"} <= set(expanded.split())
    assert expanded.startswith("What was FY2022 revenue?")  # the question as asked stays


def test_statement_names_are_translated() -> None:
    assert "financial position" in expand_query("Using the balance sheet, what ...")
    assert "cash flows" in expand_query("From the cash flow statement, ...")
    assert expand_query("nothing to add here") == "nothing to add here"


def test_name_terms_find_companies_and_tickers_not_question_words() -> None:
    terms = name_terms("What is American Water Works's FY2021 capex? Answer in USD.")
    assert "americanwaterworks" in terms and "water" in terms
    assert not {"what", "answer", "usd", "fy"} & set(terms)
    assert name_terms("Which of JPM's segments grew?") == ["jpm"]
    assert "jpm" in name_key("JPMorgan Chase & Co.", "JPMORGAN_2021Q1_10Q")


def row(doc: str, page: int, n: int, title: str = "") -> dict[str, Any]:
    return {"chunk_id": f"{doc}:{page}:{n}", "doc_id": doc, "page_start": page,
            "title": title or doc, "path": f"/f/{doc}.pdf"}  # fmt: skip


def test_rescoring_prefers_the_page_and_document_that_gather_the_evidence() -> None:
    fused = [
        (row("other", 9, 0), 0.030),  # one strong stray match in another filing
        (row("acme", 5, 0), 0.029),
        (row("acme", 5, 1), 0.020),
        (row("acme", 7, 0), 0.025),
    ]
    ranked = [r["chunk_id"] for r, _ in rescore(fused, "a question", DEFAULT_TUNING)]
    assert ranked[:2] == ["acme:5:0", "acme:5:1"]
    assert ranked[-1] == "other:9:0"


def test_a_named_company_outranks_the_rest_and_plain_tuning_changes_nothing() -> None:
    fused = [(row("zeta", 1, 0), 0.025), (row("costco", 2, 0), 0.022)]
    named = rescore(fused, "What did Costco hold?", DEFAULT_TUNING)
    assert named[0][0]["doc_id"] == "costco"
    plain = SearchTuning(doc_prior=0.0, doc_names=0.0, page_fusion=0.0)
    assert [r for r, _ in rescore(fused, "What did Costco hold?", plain)] == [r for r, _ in fused]


def test_unpaged_documents_keep_their_fused_order() -> None:
    fused = [(row("a", 1, 0), 0.03), (row("b", 1, 0), 0.02), (row("b", 1, 1), 0.02)]
    unpaged = [({**r, "page_start": None}, score) for r, score in fused]
    assert rescore(unpaged, "What did B find?", DEFAULT_TUNING) == unpaged


def test_period_lines_and_figures() -> None:
    assert is_period_line("Year Ended December 31,")
    assert is_period_line("2021 2020 2019")
    assert not is_period_line("Cash and cash equivalents")
    assert is_figure("(1,137)") and is_figure("11,258") and not is_figure("2021")


def test_table_head_is_the_period_lines_above_the_first_figures() -> None:
    head = TableHead()
    for line in ["CONSOLIDATED BALANCE SHEETS", "August 29,", "2021", "August 30,", "2020",
                 "ASSETS", "Cash and cash equivalents", "$", "11,258", "Receivables 1,803"]:  # fmt: skip
        head.see(line)
    assert head.text == "August 29, 2021 August 30, 2020"
    head.see("The accompanying notes are an integral part of these financial statements.")
    assert head.text == ""  # running text: the table is over


def test_a_page_of_many_weak_matches_does_not_outrank_the_page_that_answers() -> None:
    # A big table cut into ten row chunks, each a weak match (cosine 0.3), against the
    # page with the answer (0.6) and its heading: counting every page, the table wins.
    fused = [({**row("acme", 3, n), "cosine": 0.3}, 0.010) for n in range(10)]
    fused += [({**row("acme", 5, 0), "cosine": 0.6}, 0.016), (row("acme", 5, 1), 0.014)]
    ranked = rescore(fused, "a question", DEFAULT_TUNING)
    assert ranked[0][0]["chunk_id"] == "acme:5:0"
    every_page = SearchTuning(page_match=0.0)
    assert rescore(fused, "a question", every_page)[0][0]["page_start"] == 3


def test_a_table_of_contents_is_damped() -> None:
    contents = "3.6.4 Defining row permissions . . . . . . . . . . . . . . . . . 25 " * 3
    assert is_contents(contents) and not is_contents("Revenue grew 5% . . . to $3.2bn")
    fused = [({**row("acme", 2, 0), "text": contents}, 0.030), (row("acme", 7, 0), 0.020)]
    ranked = rescore(fused, "row permissions", DEFAULT_TUNING)
    assert ranked[0][0]["chunk_id"] == "acme:7:0"


def test_figure_questions_name_the_statements_they_are_answered_from() -> None:
    assert needed_statements("Does Corning have positive working capital in FY2022?") == {
        "balance"
    }
    assert needed_statements("What is the FY2019 fixed asset turnover ratio?") == {
        "balance",
        "income",
    }
    assert needed_statements("What was the 3 year average capex?") == {"cash"}
    assert needed_statements("Does the new CEO have previous CEO experience?") == set()


def test_statement_pages_are_known_by_their_title_or_their_lines() -> None:
    assert statement_of("ACME INC. > CONSOLIDATED BALANCE SHEETS", "Cash 10") == {"balance"}
    lines = "Total current assets 1,200\nTotal current liabilities 800\nTotal equity 400"
    assert statement_of("December 31, 2022 2021", lines) == {"balance"}
    flows = "Net cash provided by operating activities ... used in investing activities"
    assert statement_of("", flows) == {"cash"}
    prose = "Net income rose, and revenues grew in the year as described below."
    assert statement_of("Results of Operations", prose) == set()  # MD&A prose is no statement


def test_a_figure_question_lifts_the_statement_page_over_prose_about_it() -> None:
    def chunk(page: int, heading: str, text: str) -> dict[str, Any]:
        return {**row("acme", page, 0), "heading": heading, "text": text}

    fused = [
        (chunk(30, "Liquidity", "Our working capital remained strong."), 0.030),
        (chunk(60, "Consolidated Balance Sheets", "Total current assets 5,000"), 0.020),
    ]
    question = "Does Acme have positive working capital?"
    assert rescore(fused, question, DEFAULT_TUNING)[0][0]["page_start"] == 60
    off = replace(DEFAULT_TUNING, statement_boost=1.0)
    assert rescore(fused, question, off)[0][0]["page_start"] == 30

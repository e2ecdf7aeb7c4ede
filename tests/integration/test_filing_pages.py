"""The right page of a real filing: an analyst's question finds its gold page in the top 5.

Real parts end to end (PyMuPDF loader, splitter, the default embedder, LanceDB, hybrid
search with its rescoring) on two FinanceBench dev filings kept small for speed: Foot
Locker's 4-page and 31-page 8-Ks, each the distractor of the other. Questions and gold
pages are FinanceBench's (0-based there, 1-based here).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.engine import Engine

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FILINGS = ("FOOTLOCKER_2022_8K_dated-2022-05-20.pdf", "FOOTLOCKER_2022_8K_dated_2022-08-19.pdf")


@pytest.fixture(scope="module")
def filings_engine(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Engine:
    source = shared_data / "financebench_dev" / "pdfs"
    docs = tmp_path_factory.mktemp("filings")
    for name in FILINGS:
        shutil.copy(source / name, docs / name)
    engine = Engine(tmp_path_factory.mktemp("home"))
    report = engine.ingest([docs])
    assert report.failed == [] and report.added == len(FILINGS)
    return engine


@pytest.mark.parametrize(
    ("question", "filing", "page"),
    [
        (
            "Does Foot Locker's new CEO have previous CEO experience in a similar company to "
            "Footlocker?",
            "FOOTLOCKER_2022_8K_dated_2022-08-19.pdf",
            2,
        ),
        (
            "Were there any board member nominees who had substantially more votes against "
            "joining than the other nominees?",
            "FOOTLOCKER_2022_8K_dated-2022-05-20.pdf",
            2,
        ),
    ],
)
def test_a_known_question_finds_its_gold_page_in_the_top_5(
    filings_engine: Engine, question: str, filing: str, page: int
) -> None:
    hits = filings_engine.search(question, k=40)  # as benchmarks/retrieval_pages.py ranks pages
    pages: list[tuple[str, int]] = []
    for hit in hits:
        for number in range(hit.page or 0, (hit.page_end or hit.page or 0) + 1):
            if (Path(hit.path).name, number) not in pages:
                pages.append((Path(hit.path).name, number))
    assert (filing, page) in pages[:5], pages[:5]

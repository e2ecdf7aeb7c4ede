"""Builds resources/sample/Enclave-Welcome.pdf, the sample document a first run can index.

Our own text (no third-party licence), three pages so a citation's page number means
something. Run with the project's venv: `python resources/sample/build_sample.py`.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf as fitz

OUT = Path(__file__).with_name("Enclave-Welcome.pdf")
PAGES = [
    (
        "Welcome to Enclave",
        "Enclave answers questions about your own documents without sending them anywhere. "
        "Drop files or folders onto the window: PDFs, Word documents, e-books, web pages, "
        "Markdown and plain text are read on this computer, split into passages that remember "
        "their page, and indexed for both meaning and exact words.\n\n"
        "Ask a question in the chat. The answer is written by a language model that runs on "
        "this computer, and every statement points to the file and page it came from. Click a "
        "citation to open the page with the passage highlighted.\n\n"
        "When your documents do not contain the answer, Enclave says so instead of guessing.",
    ),
    (
        "Keyboard shortcuts",
        "Ctrl+N starts a new chat.\n"
        "Ctrl+L puts the cursor in the question box.\n"
        "Esc stops an answer that is being written.\n"
        "Ctrl+F opens the search tab.\n"
        "Ctrl+, opens the settings.\n\n"
        "Indexing runs in the background: you can keep asking questions while a folder is "
        "being read. Closing the window during indexing stops it safely, and it resumes the "
        "next time Enclave starts.",
    ),
    (
        "Privacy: what leaves the machine",
        "Nothing leaves this computer unless you switch on a cloud model in the settings. "
        "Even then, the guard removes names, e-mail addresses, phone numbers, account numbers "
        "and secrets such as API keys before a request is sent, and puts them back into the "
        "answer when it returns. Collections marked confidential are never sent at all.\n\n"
        "Every request that leaves is written to the egress log first, byte for byte, and "
        "the log is chained with hashes so that a changed entry is detected. The guard also "
        "warns about passages that try to give the model instructions (prompt injection).",
    ),
]


def build(out: Path = OUT) -> Path:
    document = fitz.open()
    for number, (heading, body) in enumerate(PAGES, start=1):
        page = document.new_page(width=595, height=842)  # A4 in points
        page.insert_text((72, 96), heading, fontsize=22, fontname="helv")
        page.insert_textbox(fitz.Rect(72, 120, 523, 760), body, fontsize=12, fontname="helv")
        page.insert_text((280, 810), f"Page {number}", fontsize=9, fontname="helv")
    document.set_metadata({"title": "Welcome to Enclave", "author": "Enclave"})
    # Fixed dates and no random ids, so a rebuild gives the same bytes.
    document.save(out, garbage=4, deflate=True, no_new_id=True)
    return out


if __name__ == "__main__":
    print(build())

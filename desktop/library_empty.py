"""The page the library shows instead of the documents table when the selected collection
has none: what to drop, buttons to add files or a folder and, while the whole library is
empty, one to index the sample document. The panel connects the buttons."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.theme import icon

EMPTY_TITLE = "Drop files or folders here to index them"
EMPTY_TEXT = (
    "PDFs, Word, Markdown, HTML, e-books, e-mails, text and code. Everything is read and "
    "indexed on this machine; nothing is uploaded."
)


class EmptyLibraryPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Empty library")
        picture = QLabel(self)
        picture.setPixmap(icon("layers").pixmap(QSize(56, 56)))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(EMPTY_TITLE, self)
        self.title.setWordWrap(True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.title.setAccessibleName(EMPTY_TITLE)
        self.hint = QLabel(EMPTY_TEXT, self)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setProperty("role", "hint")
        self.files_button = QPushButton(icon("document"), "Add files…", self)
        self.files_button.setProperty("primary", True)
        self.files_button.setAccessibleName("Add files")
        self.folder_button = QPushButton(icon("folder"), "Add folder…", self)
        self.folder_button.setAccessibleName("Add folder")
        self.sample_button = QPushButton(icon("pdf"), "Index the sample document", self)
        self.sample_button.setAccessibleName("Index the sample document")
        self.sample_button.setToolTip("A short document shipped with Enclave, to try a question")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addStretch(1)
        layout.addWidget(picture)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addSpacing(6)
        layout.addLayout(_centred(self.files_button, self.folder_button))
        layout.addLayout(_centred(self.sample_button))
        layout.addStretch(2)

    def show_for(self, collection: str, library_empty: bool) -> None:
        """A first run offers the sample; an empty collection in a full library does not."""
        title = (
            EMPTY_TITLE
            if library_empty
            else (f"“{collection}” is empty. Drop files or folders here to add them")
        )
        self.title.setText(title)
        self.title.setAccessibleName(title)
        self.sample_button.setVisible(library_empty)


def _centred(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row

"""Settings: local models, embedding model, guard policy, data directory, cloud.

Each page reads the engine's current settings and says what it would change; Apply (or
OK) sends all changes in one `engine.update_settings` through ops.write, which validates
them, saves settings.toml and applies them in place (models reload at their next use).
Model imports, removals and collection sensitivities apply at once, as their own ops.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import icon

if TYPE_CHECKING:
    from core.ingest.catalog import CollectionRecord
    from core.llm.models import ModelEntry
    from core.settings import Settings

Changes = dict[str, dict[str, Any]]

BUNDLED_EMBEDDER = "all-MiniLM-L6-v2"
SENSITIVITY_LABELS = {
    "public": "Public",
    "internal": "Internal",
    "confidential": "Confidential: never sent to a cloud model",
}
STRICTNESS_LABELS = {
    "documents": "Only from my documents",
    "documents+model": "My documents, plus the model's own knowledge",
}
ACTION_LABELS = {"redact": "Replace with a placeholder", "block": "Do not send", "allow": "Send"}
INJECTION_LABELS = {
    "warn": "Warn: answer, and show flagged passages to the model as quoted data",
    "block": "Block: do not answer a flagged question, leave flagged passages out",
}
ENTITY_LABELS = {
    "EMAIL_ADDRESS": "E-mail addresses", "PHONE_NUMBER": "Phone numbers",
    "CREDIT_CARD": "Card numbers", "IBAN_CODE": "IBANs", "US_SSN": "US social security numbers",
    "IP_ADDRESS": "IP addresses", "DATE_OF_BIRTH": "Dates of birth",
    "STREET_ADDRESS": "Street addresses", "POSTCODE": "Postcodes", "PERSON": "Names",
    "LOCATION": "Places", "ORGANIZATION": "Organisations", "CUSTOM": "My own terms (below)",
}  # fmt: skip


def _hint(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


def _combo(options: dict[str, str], parent: QWidget) -> QComboBox:
    box = QComboBox(parent)
    for value, label in options.items():
        box.addItem(label, value)
    return box


def _select(box: QComboBox, value: str) -> None:
    index = box.findData(value)
    box.setCurrentIndex(max(0, index))


def _diff(section: str, now: dict[str, Any], old: Any) -> Changes:
    changed = {k: v for k, v in now.items() if getattr(old, k) != v}
    return {section: changed} if changed else {}


class Page(QWidget):
    """One page of the dialog: shows settings, tells what the person changed."""

    title = ""
    icon_name = ""

    def __init__(self, dialog: SettingsDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        heading = QLabel(self.title, self)
        heading.setProperty("role", "title")
        self.layout_.addWidget(heading)

    def load(self, settings: Settings) -> None:
        """Show `settings`."""

    def changes(self, settings: Settings) -> Changes:
        return {}


# -- local models ---------------------------------------------------------------------------
class ModelsPage(Page):
    title = "Local models"
    icon_name = "cpu"

    def __init__(self, dialog: SettingsDialog) -> None:
        super().__init__(dialog)
        self.setAcceptDrops(True)
        self.models: list[ModelEntry] = []
        self.layout_.addWidget(_hint(
            "Answers come from a GGUF model on this machine. The bundled SmolLM2 is tiny and "
            "fast; for better answers import a larger GGUF (Qwen2.5, Llama 3.x, Mistral…) by "
            "choosing the file or dropping it here.", self))  # fmt: skip
        self.table = QTreeWidget(self)
        self.table.setHeaderLabels(["Model", "Parameters", "Quantization", "Context", "Size"])
        self.table.setRootIsDecorated(False)
        self.table.setAccessibleName("Local models")
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.header().setStretchLastSection(True)
        self.table.itemDoubleClicked.connect(lambda *_: self.use_selected())
        self.table.itemSelectionChanged.connect(self._sync_buttons)
        self.layout_.addWidget(self.table, 1)
        self.import_button = QPushButton(icon("add"), "Import GGUF…", self)
        self.import_button.clicked.connect(self.choose_file)
        self.use_button = QPushButton(icon("check"), "Use this model", self)
        self.use_button.clicked.connect(self.use_selected)
        self.remove_button = QPushButton(icon("trash"), "Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.get_button = QPushButton(icon("cloud"), "Get a model…", self)
        self.get_button.setToolTip("Download a recommended model (checked before use)")
        self.get_button.clicked.connect(self.open_catalog)
        buttons = QHBoxLayout()
        for button in (self.get_button, self.import_button, self.use_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)
        self.status = _hint("", self)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(self._build_form())

    def open_catalog(self) -> None:
        from desktop.model_catalog import ModelCatalogDialog

        catalog = ModelCatalogDialog(self.dialog.ops, self)
        catalog.downloaded.connect(lambda _result: self.refresh())
        catalog.open()

    def _build_form(self) -> QGroupBox:
        box = QGroupBox("Generation", self)
        form = QFormLayout(box)
        self.context = QSpinBox(box)
        self.context.setRange(512, 131072)
        self.context.setSingleStep(1024)
        self.context.setSuffix(" tokens")
        self.context.setAccessibleName("Context size")
        self.threads = QSpinBox(box)
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("Automatic (half the CPU threads)")
        self.threads.setAccessibleName("Threads")
        self.answer_tokens = QSpinBox(box)
        self.answer_tokens.setRange(16, 8192)
        self.answer_tokens.setSuffix(" tokens")
        self.temperature = QDoubleSpinBox(box)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.strictness = _combo(STRICTNESS_LABELS, box)
        form.addRow("Context size", self.context)
        form.addRow("CPU threads", self.threads)
        form.addRow("Longest answer", self.answer_tokens)
        form.addRow("Temperature", self.temperature)
        form.addRow("Answer", self.strictness)
        return box

    def load(self, settings: Settings) -> None:
        llm = settings.llm
        self.context.setValue(llm.context_size)
        self.threads.setValue(llm.threads)
        self.answer_tokens.setValue(llm.max_answer_tokens)
        self.temperature.setValue(llm.temperature)
        _select(self.strictness, llm.strictness)
        self.refresh()

    def changes(self, settings: Settings) -> Changes:
        now = {"context_size": self.context.value(), "threads": self.threads.value(),
               "max_answer_tokens": self.answer_tokens.value(),
               "temperature": round(self.temperature.value(), 2),
               "strictness": self.strictness.currentData()}  # fmt: skip
        return _diff("llm", now, settings.llm)

    # the model list --------------------------------------------------------------------
    def refresh(self) -> None:
        engine = self.dialog.engine
        self.dialog.ops.query(engine.models).success(self._show).run()

    def _show(self, models: list[ModelEntry]) -> None:
        self.models = models
        selected = self.dialog.engine.selected_model()
        self.table.clear()
        for entry in models:
            info = entry.info
            name = entry.name + (" (bundled)" if entry.bundled else "")
            item = QTreeWidgetItem([name, info.parameters_label, info.quantization,
                                    f"{info.context_length:,}" if info.context_length else "–",
                                    f"{info.size_bytes / 1e6:,.0f} MB"])  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, entry.name)
            if entry.name == selected:
                item.setIcon(0, icon("check"))
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
            self.table.addTopLevelItem(item)
        self.status.setText(f"In use: {selected}")
        self._sync_buttons()

    def selected_name(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(0, Qt.ItemDataRole.UserRole)) if items else None

    def _sync_buttons(self) -> None:
        name = self.selected_name()
        entry = next((m for m in self.models if m.name == name), None)
        self.use_button.setEnabled(entry is not None)
        self.remove_button.setEnabled(entry is not None and not entry.bundled)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a GGUF model", str(Path.home()), "GGUF models (*.gguf)"
        )
        if path:
            self.import_model(path)

    def import_model(self, path: str) -> None:
        self.status.setText(f"Importing {Path(path).name}… (a large model takes a while)")
        engine = self.dialog.engine
        op = self.dialog.ops.write(engine.import_model, path).success(self._imported)
        op.failure(self._failed).run()

    def _imported(self, entry: ModelEntry) -> None:
        self.status.setText(f"Imported {entry.name}. Select it and choose “Use this model”.")
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"⚠ {error}")

    def use_selected(self) -> None:
        name = self.selected_name()
        if name:
            ops, engine = self.dialog.ops, self.dialog.engine
            ops.write(engine.use_model, name).success(lambda _e: self.refresh()).failure(
                self._failed
            ).run()

    def remove_selected(self) -> None:
        name = self.selected_name()
        if not name:
            return
        answer = QMessageBox.question(self, "Remove model", f"Delete the model {name}?")
        if answer == QMessageBox.StandardButton.Yes:
            ops, engine = self.dialog.ops, self.dialog.engine
            ops.write(engine.remove_model, name).success(lambda _r: self.refresh()).failure(
                self._failed
            ).run()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(u.toLocalFile().lower().endswith(".gguf") for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(".gguf"):
                self.import_model(url.toLocalFile())
        event.acceptProposedAction()


# -- embedding model ------------------------------------------------------------------------
class EmbeddingPage(Page):
    title = "Embedding model"
    icon_name = "layers"

    def __init__(self, dialog: SettingsDialog) -> None:
        super().__init__(dialog)
        self.layout_.addWidget(_hint(
            "Passages are found by meaning with a sentence-embedding model. The bundled "
            "all-MiniLM-L6-v2 reads English well; any local sentence-transformers folder can "
            "replace it. A collection indexed with another model is re-embedded the next time "
            "it is used, which takes a while for a large library.", self))  # fmt: skip
        form = QFormLayout()
        self.model = QLineEdit(self)
        self.model.setAccessibleName("Embedding model")
        browse = QPushButton(icon("folder"), "Choose folder…", self)
        browse.clicked.connect(self._browse)
        bundled = QPushButton("Use bundled", self)
        bundled.clicked.connect(lambda: self.model.setText(BUNDLED_EMBEDDER))
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(browse)
        row.addWidget(bundled)
        form.addRow("Model", row)
        self.chunk = QSpinBox(self)
        self.chunk.setRange(32, 2048)
        self.chunk.setSuffix(" tokens")
        form.addRow("Passage size", self.chunk)
        self.layout_.addLayout(form)
        self.layout_.addWidget(
            _hint("A new passage size applies to documents indexed from now on.")
        )
        self.layout_.addStretch(1)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A sentence-transformers model folder")
        if folder:
            self.model.setText(folder)

    def load(self, settings: Settings) -> None:
        self.model.setText(settings.index.embed_model)
        self.chunk.setValue(settings.index.chunk_tokens)

    def changes(self, settings: Settings) -> Changes:
        now = {"embed_model": self.model.text().strip() or BUNDLED_EMBEDDER,
               "chunk_tokens": self.chunk.value()}  # fmt: skip
        return _diff("index", now, settings.index)


# -- guard ----------------------------------------------------------------------------------
class GuardPage(Page):
    title = "Guard policy"
    icon_name = "shield"

    def __init__(self, dialog: SettingsDialog) -> None:
        super().__init__(dialog)
        self.enabled = QCheckBox("Guard on (recommended)", self)
        self.layout_.addWidget(self.enabled)
        self.layout_.addWidget(self._build_injection())
        self.layout_.addWidget(self._build_redaction(), 1)
        self.layout_.addWidget(self._build_collections())

    def _build_injection(self) -> QGroupBox:
        box = QGroupBox("Prompt injection", self)
        form = QFormLayout(box)
        self.detect_injection = QCheckBox("Check questions and indexed passages", box)
        self.injection_action = _combo(INJECTION_LABELS, box)
        self.injection_action.setAccessibleName("Injection action")
        self.threshold = QDoubleSpinBox(box)
        self.threshold.setRange(0.05, 0.99)
        self.threshold.setSingleStep(0.05)
        form.addRow(self.detect_injection)
        form.addRow("When flagged", self.injection_action)
        form.addRow("Threshold", self.threshold)
        return box

    def _build_redaction(self) -> QGroupBox:
        box = QGroupBox("What is kept from a cloud model", self)
        layout = QHBoxLayout(box)
        left = QFormLayout()
        self.detect_pii = QCheckBox("Find personal data", box)
        self.pii_action = _combo(ACTION_LABELS, box)
        self.detect_secrets = QCheckBox("Find secrets (keys, passwords, tokens)", box)
        self.secrets_action = _combo(ACTION_LABELS, box)
        self.custom_terms = QPlainTextEdit(box)
        self.custom_terms.setPlaceholderText("Project names, client names… one per line")
        self.custom_terms.setMaximumHeight(70)
        left.addRow(self.detect_pii)
        left.addRow("Personal data", self.pii_action)
        left.addRow(self.detect_secrets)
        left.addRow("Secrets", self.secrets_action)
        left.addRow("Always sensitive", self.custom_terms)
        self.entities = QListWidget(box)
        self.entities.setAccessibleName("Personal data types")
        for value, label in ENTITY_LABELS.items():
            item = QListWidgetItem(label, self.entities)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        layout.addLayout(left, 3)
        layout.addWidget(self.entities, 2)
        return box

    def _build_collections(self) -> QGroupBox:
        box = QGroupBox("Collections", self)
        layout = QVBoxLayout(box)
        layout.addWidget(_hint("Text from a confidential collection never goes to a cloud "
                               "model: such questions are answered locally.", box))  # fmt: skip
        self.collections = QTreeWidget(box)
        self.collections.setHeaderLabels(["Collection", "Sensitivity"])
        self.collections.setRootIsDecorated(False)
        self.collections.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.collections.setMaximumHeight(140)
        self.collections.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.collections)
        return box

    def load(self, settings: Settings) -> None:
        guard = settings.guard
        self.enabled.setChecked(guard.enabled)
        self.detect_injection.setChecked(guard.detect_injection)
        _select(self.injection_action, guard.injection_action)
        self.threshold.setValue(guard.injection_threshold)
        self.detect_pii.setChecked(guard.detect_pii)
        _select(self.pii_action, guard.pii_action)
        self.detect_secrets.setChecked(guard.detect_secrets)
        _select(self.secrets_action, guard.secrets_action)
        self.custom_terms.setPlainText("\n".join(guard.custom_terms))
        for row in range(self.entities.count()):
            item = self.entities.item(row)
            on = item.data(Qt.ItemDataRole.UserRole) in guard.pii_entities
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        engine = self.dialog.engine
        self.dialog.ops.query(engine.collections).success(self._show_collections).run()

    def _show_collections(self, records: list[CollectionRecord]) -> None:
        self.collections.clear()
        for record in records:
            item = QTreeWidgetItem([record.name, ""])
            self.collections.addTopLevelItem(item)
            box = _combo(SENSITIVITY_LABELS, self.collections)
            box.setAccessibleName(f"Sensitivity of {record.name}")
            _select(box, record.sensitivity)
            box.currentIndexChanged.connect(
                lambda _i, name=record.name, b=box: self._set_sensitivity(name, b.currentData())
            )
            self.collections.setItemWidget(item, 1, box)
        if not records:
            self.collections.addTopLevelItem(QTreeWidgetItem(["No collections yet", ""]))

    def _set_sensitivity(self, name: str, sensitivity: str) -> None:
        engine = self.dialog.engine
        self.dialog.ops.write(engine.set_sensitivity, name, sensitivity).run()

    def changes(self, settings: Settings) -> Changes:
        entities = [self.entities.item(r).data(Qt.ItemDataRole.UserRole)
                    for r in range(self.entities.count())
                    if self.entities.item(r).checkState() == Qt.CheckState.Checked]  # fmt: skip
        terms = [t.strip() for t in self.custom_terms.toPlainText().splitlines() if t.strip()]
        now = {
            "enabled": self.enabled.isChecked(),
            "detect_injection": self.detect_injection.isChecked(),
            "injection_action": self.injection_action.currentData(),
            "injection_threshold": round(self.threshold.value(), 2),
            "detect_pii": self.detect_pii.isChecked(),
            "pii_action": self.pii_action.currentData(),
            "detect_secrets": self.detect_secrets.isChecked(),
            "secrets_action": self.secrets_action.currentData(),
            "custom_terms": terms,
            "pii_entities": entities,
        }
        return _diff("guard", now, settings.guard)


# -- data directory ----------------------------------------------------------------------
class DataPage(Page):
    title = "Data directory"
    icon_name = "database"

    def __init__(self, dialog: SettingsDialog) -> None:
        super().__init__(dialog)
        home = str(dialog.engine.home)
        self.layout_.addWidget(_hint(
            "Everything Enclave knows lives in one folder on this machine: settings.toml, the "
            "index, the catalog and chats, the egress log and imported models. Back it up or "
            "delete it like any folder.", self))  # fmt: skip
        self.path = QLineEdit(home, self)
        self.path.setReadOnly(True)
        self.path.setAccessibleName("Data directory")
        opener = QPushButton(icon("folder"), "Open folder", self)
        opener.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(home)))
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(opener)
        self.layout_.addLayout(row)
        self.layout_.addWidget(
            _hint("To use another folder, start Enclave with --home DIR or set ENCLAVE_HOME.", self)
        )
        self.layout_.addStretch(1)


# -- the dialog ---------------------------------------------------------------------------------
class SettingsDialog(QDialog):

    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.engine = ops.engine
        self.setWindowTitle("Settings")
        self.setWindowIcon(icon("settings"))
        self.resize(920, 680)
        self.nav = QListWidget(self)
        self.nav.setFixedWidth(200)
        self.nav.setProperty("role", "nav")
        self.nav.setIconSize(QSize(18, 18))
        self.nav.setAccessibleName("Settings sections")
        self.stack = QStackedWidget(self)
        self.pages = [page(self) for page in _pages()]
        for page in self.pages:
            QListWidgetItem(icon(page.icon_name), page.title, self.nav)
            self.stack.addWidget(page)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply,
            self,
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.message, 1)
        footer.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(footer)
        self.load()

    def show_page(self, title: str) -> None:
        for row, page in enumerate(self.pages):
            if page.title == title:
                self.nav.setCurrentRow(row)

    def load(self) -> None:
        for page in self.pages:
            page.load(self.engine.settings)

    def changes(self) -> Changes:
        merged: Changes = {}
        for page in self.pages:
            for section, values in page.changes(self.engine.settings).items():
                merged.setdefault(section, {}).update(values)
        return merged

    def apply(self, *, then_close: bool = False) -> None:
        changes = self.changes()
        if not changes:
            self.message.setText("No changes to save.")
            if then_close:
                super().accept()
            return
        self.message.setText("Saving…")

        def saved(_settings: Settings) -> None:
            self.message.setText("Saved. Changes apply from the next question.")
            if then_close:
                super(SettingsDialog, self).accept()

        def failed(error: BaseException) -> None:
            self.message.setText(f"<span style='color:#C92A2A'>Not saved: {error}</span>")

        self.ops.write(self.engine.update_settings, changes).success(saved).failure(failed).run()

    def accept(self) -> None:
        self.apply(then_close=True)


def _pages() -> tuple[type[Page], ...]:
    from desktop.cloud_page import CloudPage  # its own module, built on Page

    return (ModelsPage, EmbeddingPage, GuardPage, DataPage, CloudPage)

"""Settings page for cloud models: routing mode, provider, model, base URL, the API key
(kept in the system keyring, never shown again once saved) and a connection test.

Keys go straight from the password field to `Engine.set_cloud_key` on the writer thread;
the page never keeps them, and settings.toml never sees them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
)

from desktop.ops import error_message
from desktop.settings_dialog import Changes, Page, _combo, _diff, _hint, _select
from desktop.theme import icon

if TYPE_CHECKING:
    from core.settings import Settings
    from desktop.settings_dialog import SettingsDialog

MODE_LABELS = {
    "local": "Local only: nothing leaves this machine",
    "fallback": "Fallback: the cloud model answers when the local one cannot",
    "cloud": "Cloud first: the local model answers when the cloud call fails",
}
KEY_SOURCES = {"keyring": "saved in the system keyring", "env": "read from {env}"}


class CloudPage(Page):
    title = "Cloud models"
    icon_name = "cloud"

    def __init__(self, dialog: SettingsDialog) -> None:
        super().__init__(dialog)
        self.engine = dialog.engine
        self.ops = dialog.ops
        self.providers = {p["provider"]: p for p in self.engine.cloud_providers()}
        self.layout_.addWidget(_hint(
            "A cloud model is used only when you switch it on here. Before anything is sent, "
            "the guard replaces names, numbers and secrets with placeholders (restored in the "
            "answer), leaves out confidential collections and flagged passages, and writes the "
            "exact request to the egress log.", self))  # fmt: skip
        self.mode = _combo(MODE_LABELS, self)
        self.mode.setAccessibleName("When to use a cloud model")
        self.layout_.addWidget(self.mode)
        self.layout_.addWidget(self._provider_box())
        self.layout_.addWidget(self._key_box())
        self.layout_.addStretch(1)
        self.provider.currentIndexChanged.connect(self._provider_changed)

    def _provider_box(self) -> QGroupBox:
        box = QGroupBox("Provider", self)
        form = QFormLayout(box)
        self.provider = QComboBox(box)
        for name, info in self.providers.items():
            self.provider.addItem(info["label"], name)
        self.provider.setAccessibleName("Cloud provider")
        self.model = QLineEdit(box)
        self.model.setAccessibleName("Cloud model")
        self.base_url = QLineEdit(box)
        self.base_url.setAccessibleName("Base URL")
        self.base_url.setPlaceholderText("The provider's own; for a team server e.g. http://host:8000/v1")
        form.addRow("Service", self.provider)
        form.addRow("Model", self.model)
        form.addRow("Base URL", self.base_url)
        return box

    def _key_box(self) -> QGroupBox:
        box = QGroupBox("API key", self)
        form = QFormLayout(box)
        self.key = QLineEdit(box)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setAccessibleName("API key")
        self.key.setPlaceholderText("Paste a key to save it in the system keyring")
        self.save_key = QPushButton(icon("key"), "Save key", box)
        self.save_key.clicked.connect(self.store_key)
        self.delete_key = QPushButton(icon("trash"), "Delete key", box)
        self.delete_key.clicked.connect(self.forget_key)
        row = QHBoxLayout()
        row.addWidget(self.key, 1)
        row.addWidget(self.save_key)
        row.addWidget(self.delete_key)
        self.key_state = QLabel("", box)
        self.key_state.setWordWrap(True)
        self.key_state.setAccessibleName("Key status")
        self.test = QPushButton(icon("cloud"), "Test connection", box)
        self.test.clicked.connect(self.test_connection)
        self.test_result = QLabel("", box)
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName("Connection test result")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test)
        test_row.addWidget(self.test_result, 1)
        form.addRow(row)
        form.addRow(self.key_state)
        form.addRow(test_row)
        return box

    # -- settings --------------------------------------------------------------------------
    def load(self, settings: Settings) -> None:
        cloud = settings.cloud
        _select(self.mode, cloud.mode)
        _select(self.provider, cloud.provider)
        self.model.setText(cloud.model)
        self.base_url.setText(cloud.base_url)
        self._provider_changed()

    def changes(self, settings: Settings) -> Changes:
        now = {"mode": self.mode.currentData(), "provider": self.current_provider,
               "model": self.model.text().strip(), "base_url": self.base_url.text().strip()}  # fmt: skip
        return _diff("cloud", now, settings.cloud)

    @property
    def current_provider(self) -> str:
        return str(self.provider.currentData())

    def _provider_changed(self) -> None:
        info = self.providers.get(self.current_provider, {})
        self.model.setPlaceholderText(f"Default: {info.get('default_model', '')}")
        self.test_result.setText("")
        self.refresh_key_state()

    # -- keys and the connection test ---------------------------------------------------------
    def refresh_key_state(self) -> None:
        self.ops.query(self.engine.cloud_keys).success(self._show_keys).failure(
            lambda exc: self.key_state.setText(error_message(exc))
        ).run()

    def _show_keys(self, statuses: list[Any]) -> None:
        provider = self.current_provider
        status = next((s for s in statuses if s.provider == provider), None)
        env = self.providers.get(provider, {}).get("env", "")
        if status is None or status.source is None:
            self.key_state.setText(f"No key yet. Paste one above, or set {env}.")
            self.delete_key.setEnabled(False)
        else:
            where = KEY_SOURCES.get(status.source, status.source).format(env=env)
            self.key_state.setText(f"A key is {where}. It is never shown or written to a file.")
            self.delete_key.setEnabled(status.source == "keyring")

    def store_key(self) -> None:
        key = self.key.text().strip()
        if not key:
            return
        self.key.clear()  # the page does not hold on to it
        self.ops.write(self.engine.set_cloud_key, self.current_provider, key,
                       touches={"settings"}).success(lambda _r: self.refresh_key_state()).failure(
            lambda exc: self.key_state.setText(error_message(exc))).run()  # fmt: skip

    def forget_key(self) -> None:
        self.ops.write(self.engine.delete_cloud_key, self.current_provider,
                       touches={"settings"}).success(lambda _r: self.refresh_key_state()).run()  # fmt: skip

    def test_connection(self) -> None:
        self.test.setEnabled(False)
        self.test_result.setText("Connecting…")
        self.ops.query(self.engine.test_connection, self.current_provider).success(
            self._show_test
        ).failure(lambda exc: self.test_result.setText(error_message(exc))).finally_(
            lambda: self.test.setEnabled(True)
        ).run()

    def _show_test(self, report: Any) -> None:
        if report.ok:
            self.test_result.setText(
                f"Connected in {report.ms:.0f} ms: {len(report.models)} models available."
            )
        else:
            self.test_result.setText(f"Not connected: {report.error}")

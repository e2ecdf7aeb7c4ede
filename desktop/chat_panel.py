"""The chat panel: conversations on the left, the transcript and the question box on the right.

A question goes to `Engine.ask` as one op; its tokens stream into the newest turn
(desktop.chat_turn), which re-renders them as Markdown (desktop.answer_render) at a bounded
rate so a long answer never stalls the window. When the answer is complete its [n] markers
become links to the passages they cite, sentences the grounding check could not support are
marked, and a sources strip lists the passages under it. Stop cancels the op; the words
already written stay.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.answer_render import answer_from_result, answer_from_turn
from desktop.chat_turn import STYLE, QuestionBox, TurnWidget
from desktop.ops import error_message
from desktop.search_panel import state_page
from desktop.theme import icon

if TYPE_CHECKING:
    from core.chat.result import AnswerResult
    from core.chat.sources import Source
    from core.chat.store import Conversation, Turn

STATUS_MS = 6000  # how long "Exported to …" and the like stay under the chat list
COLUMN_WIDTH = 880  # the transcript reads like a page, not a banner
NARROW_WIDTH = 820  # below this the chat list folds away (the toggle brings it back)
ID_ROLE = Qt.ItemDataRole.UserRole
TITLE_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY_TEXT = (
    "<p style='font-size:15pt; font-weight:600'>Ask a question about your documents</p>"
    "<p>Answers come from the files in your library, with numbered citations: click one "
    "to see the passage on its page. Everything runs on this machine.</p>"
)
EMPTY_LIBRARY = (
    "<p><b>Your library is empty.</b> Drop files or folders onto the window, or use "
    "“Add files…”, then ask about them here.</p>"
)
KEYS_HINT = "Enter sends · Shift+Enter new line · Esc stops"


# -- the panel ------------------------------------------------------------------------------
class ChatPanel(QWidget):
    open_source = Signal(str, object, str)  # path, page or None, passage

    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._engine = ops.engine
        self._collections: list[str] = []
        self._current: str | None = None  # conversation id shown
        self._known: dict[int, Source] = {}  # the conversation's sources by number
        self._op: Any = None
        self._live: TurnWidget | None = None
        # Conversations whose cloud requests the person approved after seeing the first.
        self._cloud_approved: set[str] = set()
        self._approve_next = False
        self.preview_dialog: Any = None
        self._follow = True
        self._list_sequence = 0
        self.conversations: list[Conversation] = []
        self.turns: list[TurnWidget] = []
        self.has_documents = True
        self.setStyleSheet(STYLE)
        self._narrow: bool | None = None
        self._title = "New chat"
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.list_pane = self._build_list()
        splitter.addWidget(self.list_pane)
        splitter.addWidget(self._build_chat())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 780])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)
        changed = getattr(ops, "changed", None)
        if changed is not None:
            changed.connect(self._on_changed)
        self.setFocusProxy(self.question_box)
        self.refresh_conversations()
        self._check_library()

    # building ------------------------------------------------------------------------------
    def _build_list(self) -> QWidget:
        pane = QWidget(self)
        title = QLabel("Chats", pane)
        title.setProperty("role", "title")
        self.new_button = QPushButton(icon("add"), "New chat", pane)
        self.new_button.setToolTip("Start a new chat (Ctrl+N)")
        self.new_button.setAccessibleName("New chat")
        self.new_button.clicked.connect(self.new_chat)
        self.list = QListWidget(pane)
        self.list.setAccessibleName("Conversations")
        self.list.setProperty("role", "nav")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._list_menu)
        self.list.currentItemChanged.connect(self._on_current_item)
        self.list.itemChanged.connect(self._on_item_edited)
        self.list_empty = QLabel("No chats yet. Your questions and answers are kept here.", pane)
        self.list_empty.setProperty("role", "hint")
        self.list_empty.setWordWrap(True)
        self.rename_button = self._tool(
            pane, "Rename", None, "Rename the chat (F2)", self.rename_current
        )
        self.export_button = self._tool(pane, "Export…", "document", "Export the chat as Markdown",
                                        self.export_current)  # fmt: skip
        self.delete_button = self._tool(pane, "", "trash", "Delete the chat", self.delete_current)
        self.delete_button.setAccessibleName("Delete chat")
        self.list_status = QLabel("", pane)
        self.list_status.setProperty("role", "hint")
        self.list_status.setWordWrap(True)
        self.list_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._status_timer = QTimer(self, singleShot=True, interval=STATUS_MS)
        self._status_timer.timeout.connect(lambda: self.list_status.setText(""))
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.new_button)
        tools = QHBoxLayout()
        tools.addWidget(self.rename_button)
        tools.addWidget(self.export_button)
        tools.addStretch(1)
        tools.addWidget(self.delete_button)
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.list_empty)
        layout.addLayout(tools)
        layout.addWidget(self.list_status)
        self._update_tools()
        return pane

    def _tool(
        self, parent: QWidget, text: str, icon_name: str | None, tip: str, slot: Any
    ) -> QToolButton:
        button = QToolButton(parent)
        button.setText(text)
        if icon_name:
            button.setIcon(icon(icon_name))
        button.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            if text and icon_name
            else Qt.ToolButtonStyle.ToolButtonTextOnly
            if text
            else Qt.ToolButtonStyle.ToolButtonIconOnly
        )
        button.setToolTip(tip)
        button.setAccessibleName(text.rstrip("…") or tip)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _build_chat(self) -> QWidget:
        pane = QWidget(self)
        self.stack = QStackedWidget(pane)
        self.empty = self._build_empty(pane)
        self.transcript = QScrollArea(pane)
        self.transcript.setObjectName("transcript")
        self.transcript.setWidgetResizable(True)
        self.transcript.setFrameShape(QFrame.Shape.NoFrame)
        self.transcript.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.transcript.setAccessibleName("Transcript")
        holder = QWidget(self.transcript)
        self.column = QWidget(holder)
        self.column.setMaximumWidth(COLUMN_WIDTH)
        self.column_layout = QVBoxLayout(self.column)
        self.column_layout.setContentsMargins(8, 8, 8, 8)
        self.column_layout.setSpacing(18)
        self.column_layout.addStretch(1)
        centred = QHBoxLayout(holder)
        centred.setContentsMargins(0, 0, 0, 0)
        centred.addWidget(self.column)
        self.transcript.setWidget(holder)
        bar = self.transcript.verticalScrollBar()
        bar.rangeChanged.connect(self._keep_at_bottom)
        bar.valueChanged.connect(lambda value: setattr(self, "_follow", value >= bar.maximum() - 8))
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.transcript)
        self.transcript.viewport().installEventFilter(self)
        self.list_toggle = QToolButton(pane)
        self.list_toggle.setProperty("flat", True)
        self.list_toggle.setCheckable(True)
        self.list_toggle.setChecked(True)
        self.list_toggle.setAccessibleName("Show the chat list")
        self.list_toggle.toggled.connect(self._show_list)
        self.title = QLabel("New chat", pane)
        self.title.setStyleSheet("font-weight: 600;")
        self.title.setAccessibleName("Chat title")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.installEventFilter(self)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.list_toggle)
        header.addWidget(self.title, 1)
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self._build_composer(pane))
        self._show_list(True)
        return pane

    def _set_title(self, title: str) -> None:
        self._title = title
        self.title.setToolTip(title)
        width = max(40, self.title.width())
        self.title.setText(
            self.title.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, width)
        )

    def _show_list(self, shown: bool) -> None:
        self.list_pane.setVisible(shown)
        self.list_toggle.setIcon(icon("chevron-left" if shown else "chevron-right"))
        self.list_toggle.setToolTip("Hide the chat list" if shown else "Show the chat list")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        narrow = self.width() < NARROW_WIDTH
        self.keys_hint.setVisible(self.width() >= NARROW_WIDTH - 160)
        if narrow != self._narrow:  # crossing the line folds or unfolds the list, once
            self._narrow = narrow
            self.list_toggle.setChecked(not narrow)

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if event.type() == QEvent.Type.Resize:
            if watched is self.transcript.viewport():
                self._fit_questions()
            elif watched is self.title:
                self._set_title(self._title)
        return super().eventFilter(watched, event)

    def _row_width(self) -> int:
        return min(COLUMN_WIDTH, self.transcript.viewport().width()) - 16

    def _fit_questions(self) -> None:
        width = self._row_width()
        for turn in self.turns:
            turn.fit_question(width)

    def _build_empty(self, parent: QWidget) -> QWidget:
        page = state_page(parent, "chat", EMPTY_TEXT, "No messages yet", icon_size=56)
        words = page.findChild(QLabel, "words")
        assert words is not None
        self.empty_label: QLabel = words
        return page

    def _build_composer(self, parent: QWidget) -> QWidget:
        box = QFrame(parent)
        box.setObjectName("composer")
        self.question_box = QuestionBox(box)
        self.question_box.submitted.connect(lambda: self.send())
        self.question_box.textChanged.connect(self._update_send)
        self.send_button = QPushButton(icon("send"), "Send", box)
        self.send_button.setProperty("primary", True)
        self.send_button.setAccessibleName("Send question")
        self.send_button.setToolTip("Send (Enter)")
        self.send_button.clicked.connect(lambda _checked=False: self.send())
        self.stop_button = QPushButton(icon("stop"), "Stop", box)
        self.stop_button.setAccessibleName("Stop the answer")
        self.stop_button.setToolTip("Stop the answer (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        self.scope = QLabel("", box)
        self.scope.setProperty("role", "hint")
        self.scope.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.keys_hint = QLabel(KEYS_HINT, box)
        self.keys_hint.setProperty("role", "hint")
        row = QHBoxLayout()
        row.addWidget(self.question_box, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignBottom)
        hints = QHBoxLayout()
        hints.addWidget(self.scope, 1)
        hints.addWidget(self.keys_hint)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addLayout(hints)
        self._update_scope()
        self._update_send()
        return box

    # public --------------------------------------------------------------------------------
    @property
    def current_conversation(self) -> str | None:
        return self._current

    @property
    def busy(self) -> bool:
        return self._op is not None

    def set_collections(self, names: list[str]) -> None:
        self._collections = list(names)
        self._update_scope()

    def focus_question(self) -> None:
        self.question_box.setFocus()

    def new_chat(self) -> None:
        """An empty transcript; the conversation is created with the first question."""
        self._detach_live()
        self._current = None
        self._known = {}
        self._clear_transcript()
        self._set_title("New chat")
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.clearSelection()
        self.list.blockSignals(False)
        self._update_tools()
        self.focus_question()

    def send(self, text: str | None = None) -> None:
        question = (text if text is not None else self.question_box.toPlainText()).strip()
        if not question or self.busy:
            return
        self.question_box.clear()
        if self._needs_cloud_preview():
            self._preview_then_ask(question)
        else:
            self._ask(question)

    def _needs_cloud_preview(self) -> bool:
        """Cloud-first mode shows the first request of each conversation before it leaves."""
        mode = self._engine.settings.cloud.mode
        return bool(mode == "cloud" and self._current not in self._cloud_approved)

    def _preview_then_ask(self, question: str) -> None:
        from desktop.cloud_preview import SEND_ALWAYS, CloudPreviewDialog

        def show(preview: object) -> None:
            dialog = CloudPreviewDialog(preview, self)
            self.preview_dialog = dialog
            dialog.finished.connect(lambda _code: decided(dialog.choice))
            dialog.open()

        def decided(choice: str) -> None:
            self.preview_dialog = None
            if choice == SEND_ALWAYS:
                self._approve_next = True
            if choice in (SEND_ALWAYS, "once"):
                self._ask(question)
            else:
                self.question_box.setPlainText(question)  # nothing lost

        self._list_message("Preparing what would be sent to the cloud model…")
        self._ops.query(
            self._engine.cloud_preview, question, conversation_id=self._current,
            collections=self._collections or None,
        ).success(show).failure(lambda error: self._list_message(error_message(error))).run()  # fmt: skip

    def _ask(self, question: str) -> None:
        turn = self._add_turn(question)
        self._live = turn
        self._follow = True
        op = self._ops.query(
            self._engine.ask, question, conversation_id=self._current,
            collections=self._collections or None,
        )  # fmt: skip
        op.tokens(lambda piece: turn.add_token(piece) if turn is self._live else None)
        op.success(lambda result: self._answered(turn, result))
        op.failure(lambda error: self._failed(turn, error))
        op.finally_(lambda: self._idle(op))
        self._op = op.cancellable().run()
        self._set_busy(True)

    def stop(self) -> None:
        if self._op is not None:
            self._op.cancel()
            if self._live is not None:
                self._live.stopping()

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self._current and self.turns:
            return
        self._detach_live()
        self._current = conversation_id
        self._known = {}
        self._clear_transcript()
        self._select(conversation_id)
        conversation = self._conversation(conversation_id)
        self._set_title(conversation.title if conversation else "")
        self._update_tools()
        self._ops.query(self._engine.turns, conversation_id).success(
            lambda turns: self._show_turns(conversation_id, turns)
        ).failure(lambda error: self._list_message(error_message(error))).run()

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        title = title.strip()
        if not title:
            return
        self._ops.write(
            self._engine.rename_conversation, conversation_id, title, touches={"conversations"}
        ).failure(self._list_failed).run()

    def delete_conversation(self, conversation_id: str, *, confirm: bool = True) -> None:
        conversation = self._conversation(conversation_id)
        title = conversation.title if conversation else "this chat"
        if confirm and not self._confirm_delete(title):
            return
        if conversation_id == self._current:
            self.new_chat()
        self._ops.write(
            self._engine.delete_conversation, conversation_id, touches={"conversations"}
        ).success(lambda _r: self._list_message(f"Deleted “{title}”.")).failure(
            self._list_failed
        ).run()

    def export_conversation(self, conversation_id: str, path: str | None = None) -> None:
        """Markdown with the cited passages; without `path` a file dialog asks where."""
        if path is None:
            conversation = self._conversation(conversation_id)
            name = _file_name(conversation.title if conversation else "chat")
            path, _filter = QFileDialog.getSaveFileName(
                self, "Export chat as Markdown", str(Path.home() / f"{name}.md"),
                "Markdown (*.md);;All files (*)",
            )  # fmt: skip
            if not path:
                return
        self._ops.query(export_to_file, self._engine, conversation_id, path).success(
            lambda written: self._list_message(f"Exported to {written.name}", str(written))
        ).failure(self._list_failed).run()

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def delete_current(self) -> None:
        if self._current is not None:
            self.delete_conversation(self._current)

    def export_current(self) -> None:
        if self._current is not None:
            self.export_conversation(self._current)

    def _confirm_delete(self, title: str) -> bool:
        answer = QMessageBox.question(
            self, "Delete chat",
            f"Delete “{title}” and its answers? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    # the answer coming back ----------------------------------------------------------------
    def _answered(self, turn: TurnWidget, result: AnswerResult) -> None:
        if self._approve_next:
            self._cloud_approved.add(result.conversation_id)
            self._approve_next = False
        if self._current is None and turn is self._live:
            self._current = result.conversation_id
            self._update_tools()
        if result.conversation_id == self._current:
            data = answer_from_result(result, self._known)
            self._known = dict(data.sources)
            if turn is self._live:
                turn.finish(data)
        self.refresh_conversations()

    def _failed(self, turn: TurnWidget, error: BaseException) -> None:
        from core.errors import Cancelled

        if turn is not self._live:
            return
        if isinstance(error, Cancelled):
            turn.stopped_early()
        else:
            turn.fail(error_message(error))
        self.refresh_conversations()

    def _idle(self, op: Any) -> None:
        if op is self._op:
            self._op = None
            self._live = None
            self._set_busy(False)

    def _detach_live(self) -> None:
        """Leaving a conversation while it answers: stop the answer, forget its widget."""
        if self._op is not None:
            self._op.cancel()
        self._live = None

    def _set_busy(self, busy: bool) -> None:
        self.send_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        self._update_send()

    def _update_send(self) -> None:
        self.send_button.setEnabled(bool(self.question_box.toPlainText().strip()) and not self.busy)

    def _update_scope(self) -> None:
        if not self._collections:
            text = "Searching all collections"
        elif len(self._collections) == 1:
            text = f"Searching {self._collections[0]}"
        else:
            text = f"Searching {len(self._collections)} collections: " + ", ".join(
                self._collections
            )
        self.scope.setText(text)

    # the transcript ------------------------------------------------------------------------
    def _add_turn(self, question: str) -> TurnWidget:
        turn = TurnWidget(question, self.column)
        turn.source_requested.connect(self._open)
        self.column_layout.insertWidget(self.column_layout.count() - 1, turn)
        self.turns.append(turn)
        turn.fit_question(self._row_width())
        self.stack.setCurrentWidget(self.transcript)
        return turn

    def _clear_transcript(self) -> None:
        for turn in self.turns:
            self.column_layout.removeWidget(turn)
            turn.deleteLater()
        self.turns = []
        self.stack.setCurrentWidget(self.empty)

    def _show_turns(self, conversation_id: str, turns: list[Turn]) -> None:
        if conversation_id != self._current or self._live is not None:
            return
        self._clear_transcript()
        for stored in turns:
            self._known.update({s.n: s for s in stored.new_sources})
        for stored in turns:
            self._add_turn(stored.question).finish(answer_from_turn(stored, self._known))
        self._follow = True
        if not turns:
            self.stack.setCurrentWidget(self.empty)

    def _keep_at_bottom(self, _low: int, high: int) -> None:
        if self._follow:
            self.transcript.verticalScrollBar().setValue(high)

    def _open(self, source: Source) -> None:
        self.open_source.emit(source.path, source.page, source.text)

    # the conversation list -------------------------------------------------------------------
    def refresh_conversations(self) -> None:
        self._list_sequence += 1
        sequence = self._list_sequence  # two refreshes may finish out of order: newest wins

        def show(conversations: list[Conversation]) -> None:
            if sequence == self._list_sequence:
                self._show_conversations(conversations)

        self._ops.query(self._engine.conversations).success(show).failure(self._list_failed).run()

    def _show_conversations(self, conversations: list[Conversation]) -> None:
        self.conversations = list(conversations)
        self.list.blockSignals(True)
        self.list.clear()
        for conversation in conversations:
            item = QListWidgetItem(icon("chat"), conversation.title)
            item.setData(ID_ROLE, conversation.id)
            item.setData(TITLE_ROLE, conversation.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            turns = f"{conversation.turns} question{'s' * (conversation.turns != 1)}"
            updated = datetime.fromtimestamp(conversation.updated).strftime("%Y-%m-%d %H:%M")
            item.setToolTip(f"{conversation.title}\n{turns} · last {updated}")
            self.list.addItem(item)
            if conversation.id == self._current:
                self.list.setCurrentItem(item)
                self._set_title(conversation.title)
        self.list.blockSignals(False)
        if self._current is not None and self._conversation(self._current) is None:
            self.new_chat()  # deleted elsewhere
        self.list_empty.setVisible(not conversations)
        self._update_tools()

    def _on_current_item(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None:
            self.open_conversation(str(item.data(ID_ROLE)))

    def _on_item_edited(self, item: QListWidgetItem) -> None:
        title, old = item.text().strip(), str(item.data(TITLE_ROLE))
        if title == old:
            return
        if not title:
            self.list.blockSignals(True)
            item.setText(old)
            self.list.blockSignals(False)
            return
        self.rename_conversation(str(item.data(ID_ROLE)), title)

    def _list_menu(self, position: Any) -> None:
        item = self.list.itemAt(position)
        if item is None:
            return
        conversation_id = str(item.data(ID_ROLE))
        menu = QMenu(self)
        menu.addAction("Rename", lambda: self.list.editItem(item))
        menu.addAction(icon("document"), "Export as Markdown…",
                       lambda: self.export_conversation(conversation_id))  # fmt: skip
        menu.addSeparator()
        menu.addAction(icon("trash"), "Delete…", lambda: self.delete_conversation(conversation_id))
        menu.exec(self.list.viewport().mapToGlobal(position))

    def _select(self, conversation_id: str) -> None:
        self.list.blockSignals(True)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(ID_ROLE) == conversation_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def _conversation(self, conversation_id: str) -> Conversation | None:
        return next((c for c in self.conversations if c.id == conversation_id), None)

    def _update_tools(self) -> None:
        chosen = self._current is not None
        for button in (self.rename_button, self.export_button, self.delete_button):
            button.setEnabled(chosen)

    def _list_message(self, text: str, tip: str = "") -> None:
        self.list_status.setText(text)
        self.list_status.setToolTip(tip or text)
        self._status_timer.start()  # owned by the panel: it dies with it

    def _list_failed(self, error: BaseException) -> None:
        self._list_message(error_message(error))

    # refreshing ------------------------------------------------------------------------------
    def _on_changed(self, areas: Any) -> None:
        if not areas or "conversations" in areas:
            self.refresh_conversations()
        if not areas or "documents" in areas:
            self._check_library()

    def _check_library(self) -> None:
        self._ops.query(self._engine.documents).success(self._show_library_state).failure(
            lambda _error: None
        ).run()

    def _show_library_state(self, documents: list[Any]) -> None:
        self.has_documents = bool(documents)
        self.empty_label.setText(EMPTY_TEXT + ("" if documents else EMPTY_LIBRARY))


def export_to_file(engine: Any, conversation_id: str, path: str) -> Path:
    """Runs on the op's thread: the export and the file write are both off the UI thread."""
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(".md")
    partial = target.with_name(target.name + ".part")  # never a half-written file in its place
    partial.write_text(engine.export_conversation(conversation_id), encoding="utf-8")
    partial.replace(target)
    return target


def _file_name(title: str) -> str:
    name = re.sub(r"[^\w\- ]+", "", title).strip().replace(" ", "-")
    return name[:60] or "chat"

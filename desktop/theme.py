"""Look and feel: Fusion, a palette that follows the system's light or dark scheme, one small
stylesheet, and the SVG icons from resources/icons tinted to the palette's text colour."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from core.resources import RESOURCES

ICONS = RESOURCES / "icons"
APP_ICON = "enclave"
ACCENT = "#3B5BDB"  # the app icon's blue
ACCENT_DARK = "#748FFC"  # the same hue, readable on a dark background
ICON_SIZES = (16, 20, 24, 32, 48)

# Colours the panels share for findings and highlights (light, dark).
HIGHLIGHT = {
    "passage": ("#FFE066", "#8A6D00"),
    "pii": ("#FFD8A8", "#7A4A12"),
    "secret": ("#FFC9C9", "#7D2A2A"),
    "injection": ("#E5DBFF", "#4B3A80"),
}

_LIGHT = {
    QPalette.ColorRole.Window: "#F5F6F8",
    QPalette.ColorRole.WindowText: "#1F2329",
    QPalette.ColorRole.Base: "#FFFFFF",
    QPalette.ColorRole.AlternateBase: "#F0F2F5",
    QPalette.ColorRole.Text: "#1F2329",
    QPalette.ColorRole.PlaceholderText: "#8A9099",
    QPalette.ColorRole.Button: "#FFFFFF",
    QPalette.ColorRole.ButtonText: "#1F2329",
    QPalette.ColorRole.ToolTipBase: "#1F2329",
    QPalette.ColorRole.ToolTipText: "#FFFFFF",
    QPalette.ColorRole.Mid: "#C9CED6",
    QPalette.ColorRole.Dark: "#D9DDE3",  # behind PDF pages
    QPalette.ColorRole.Highlight: ACCENT,
    QPalette.ColorRole.HighlightedText: "#FFFFFF",
    QPalette.ColorRole.Link: ACCENT,
}
_DARK = {
    QPalette.ColorRole.Window: "#1E2024",
    QPalette.ColorRole.WindowText: "#E6E8EB",
    QPalette.ColorRole.Base: "#26292E",
    QPalette.ColorRole.AlternateBase: "#2C3035",
    QPalette.ColorRole.Text: "#E6E8EB",
    QPalette.ColorRole.PlaceholderText: "#858B94",
    QPalette.ColorRole.Button: "#2C3035",
    QPalette.ColorRole.ButtonText: "#E6E8EB",
    QPalette.ColorRole.ToolTipBase: "#E6E8EB",
    QPalette.ColorRole.ToolTipText: "#1E2024",
    QPalette.ColorRole.Mid: "#454A52",
    QPalette.ColorRole.Dark: "#141518",
    QPalette.ColorRole.Highlight: ACCENT_DARK,
    QPalette.ColorRole.HighlightedText: "#101114",
    QPalette.ColorRole.Link: ACCENT_DARK,
}

STYLESHEET = """
QWidget { font-size: 10pt; }
QLineEdit, QPlainTextEdit, QTextEdit, QTextBrowser, QListView, QListWidget, QTreeView,
QTableView {
    border: 1px solid palette(mid); border-radius: 6px; padding: 3px 6px;
    background: palette(base); selection-background-color: palette(highlight);
}
QLineEdit { padding: 4px 6px; }
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus { border: 1px solid palette(highlight); }
QSpinBox, QDoubleSpinBox, QComboBox { min-height: 22px; }
QListWidget[role="nav"] { padding: 6px; }
QListWidget[role="nav"]::item { padding: 6px 4px; border-radius: 6px; }
QListWidget[role="nav"]::item:selected { background: palette(highlight); color: palette(highlighted-text); }
QPushButton, QToolButton { border: 1px solid palette(mid); border-radius: 6px; padding: 4px 10px; }
QPushButton:hover, QToolButton:hover { border-color: palette(highlight); }
QPushButton:disabled, QToolButton:disabled { color: palette(placeholder-text); }
QToolButton { padding: 3px; }
QToolButton[flat="true"], QToolBar QToolButton { border: none; background: transparent; }
QToolBar QToolButton:hover { background: palette(alternate-base); border-radius: 6px; }
QPushButton[primary="true"] {
    background: palette(highlight); color: palette(highlighted-text);
    border: 1px solid palette(highlight); font-weight: 600;
}
QHeaderView::section {
    background: palette(window); border: none; border-bottom: 1px solid palette(mid);
    padding: 4px 6px; font-weight: 600;
}
QTabWidget::pane { border: 1px solid palette(mid); border-radius: 6px; top: -1px; }
QGroupBox { border: 1px solid palette(mid); border-radius: 8px; margin-top: 14px; padding: 10px; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; font-weight: 600; }
QLabel[role="title"] { font-size: 14pt; font-weight: 600; }
QLabel[role="hint"] { color: palette(placeholder-text); }
QLabel[role="badge"] {
    border-radius: 8px; padding: 1px 8px; font-size: 9pt; font-weight: 600;
    background: palette(alternate-base); border: 1px solid palette(mid);
}
QLabel[role="empty"] { color: palette(placeholder-text); font-size: 11pt; padding: 24px; }
QSplitter::handle { background: palette(window); }
"""


def is_dark(app: QGuiApplication | None = None) -> bool:
    """True when the system asks for a dark scheme (Qt 6.5+), else the palette decides."""
    app = app or QGuiApplication.instance()  # type: ignore[assignment]
    if app is None:
        return False
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def palette_for(dark: bool) -> QPalette:
    palette = QPalette()
    for role, colour in (_DARK if dark else _LIGHT).items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):  # fmt: skip
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8A9099"))
    return palette


def apply_theme(app: QApplication) -> None:
    """Fusion with our palette and stylesheet; follows the system when it switches schemes."""
    app.setStyle("Fusion")
    app.setWindowIcon(icon(APP_ICON, tint=False))
    _apply_palette(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: _apply_palette(app))


def _apply_palette(app: QApplication) -> None:
    dark = is_dark(app)
    app.setPalette(palette_for(dark))
    app.setStyleSheet(STYLESHEET)
    icon.cache_clear()


def highlight_colour(kind: str) -> QColor:
    light, dark = HIGHLIGHT[kind]
    return QColor(dark if is_dark() else light)


@cache
def icon(name: str, tint: bool = True) -> QIcon:
    """An icon from resources/icons/<name>.svg, its strokes in the palette's text colour."""
    path = ICONS / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"no icon {path}")
    svg = path.read_text(encoding="utf-8")
    result = QIcon()
    if tint:
        app = QGuiApplication.instance()
        normal = _text_colour(QPalette.ColorGroup.Active) if app else "#1F2329"
        disabled = _text_colour(QPalette.ColorGroup.Disabled) if app else "#8A9099"
        for size in ICON_SIZES:
            result.addPixmap(_render(svg.replace("currentColor", normal), size))
            result.addPixmap(_render(svg.replace("currentColor", disabled), size),
                             QIcon.Mode.Disabled)  # fmt: skip
    else:
        for size in (*ICON_SIZES, 64, 128, 256):
            result.addPixmap(_render(svg, size))
    return result


def _text_colour(group: QPalette.ColorGroup) -> str:
    palette = QGuiApplication.palette()
    return str(palette.color(group, QPalette.ColorRole.WindowText).name())


def _render(svg: str, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap

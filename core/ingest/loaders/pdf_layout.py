"""Reading order for one PDF page: columns left to right, full-width items between them.

Items are text blocks and tables with bounding boxes. Columns are found from the gaps
between "narrow" items (narrower than half the text area); items wider than one column
(titles, full-width figures, running headers) cut the page into horizontal bands, and
inside a band each column is read top to bottom before the next one starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol, TypeVar

WIDE_FRACTION = 0.55  # items wider than this share of the text area span columns
MIN_GUTTER = 6.0  # points; word gaps inside blocks never reach the block level
EDGE_TOLERANCE = 3.0
ALIGN_TOLERANCE = 2.0


class Boxed(Protocol):
    @property
    def bbox(self) -> tuple[float, float, float, float]: ...


T = TypeVar("T", bound=Boxed)


@dataclass(frozen=True)
class _Column:
    x0: float
    x1: float

    def holds(self, box: tuple[float, float, float, float]) -> bool:
        return box[0] >= self.x0 - EDGE_TOLERANCE and box[2] <= self.x1 + EDGE_TOLERANCE


def reading_order(items: Sequence[T]) -> list[T]:
    by_position = sorted(items, key=lambda i: (round(i.bbox[1]), i.bbox[0]))
    if len(items) < 3:
        return by_position
    columns = find_columns([i.bbox for i in items])
    if len(columns) < 2:
        return by_position
    spanning = sorted(
        (i for i in items if not any(c.holds(i.bbox) for c in columns)), key=lambda i: i.bbox[1]
    )
    bands: list[list[list[T]]] = [[[] for _ in columns] for _ in range(len(spanning) + 1)]
    for item in items:
        column = next((n for n, c in enumerate(columns) if c.holds(item.bbox)), None)
        if column is None:
            continue
        middle = (item.bbox[1] + item.bbox[3]) / 2
        band = sum(1 for s in spanning if (s.bbox[1] + s.bbox[3]) / 2 < middle)
        bands[band][column].append(item)
    ordered: list[T] = []
    for number, columns_of_band in enumerate(bands):
        ordered.extend(_read_band(columns_of_band))
        if number < len(spanning):
            ordered.append(spanning[number])
    return ordered


def _read_band(band: list[list[T]]) -> list[T]:
    """Column by column, unless the band is really a borderless table (rows aligned)."""
    items = [item for column in band for item in column]
    if _rows_aligned(band):
        return sorted(items, key=lambda i: (round(i.bbox[1]), i.bbox[0]))
    return [item for column in band for item in sorted(column, key=lambda i: i.bbox[1])]


def _rows_aligned(band: Sequence[Sequence[Boxed]]) -> bool:
    filled = [column for column in band if column]
    if len(filled) < 2:
        return False
    first_tops = [i.bbox[1] for i in filled[0]]
    others = [i for column in filled[1:] for i in column]
    aligned = sum(
        1 for i in others if any(abs(i.bbox[1] - top) <= ALIGN_TOLERANCE for top in first_tops)
    )
    return len(others) >= 3 and aligned / len(others) > 0.6


def find_columns(boxes: Sequence[tuple[float, float, float, float]]) -> list[_Column]:
    """Column intervals separated by vertical gutters that no narrow item crosses."""
    left = min(b[0] for b in boxes)
    right = max(b[2] for b in boxes)
    width = right - left
    if width <= 0:
        return []
    narrow = sorted((b[0], b[2]) for b in boxes if b[2] - b[0] < WIDE_FRACTION * width)
    if not narrow:
        return []
    merged: list[list[float]] = [list(narrow[0])]
    for x0, x1 in narrow[1:]:
        if x0 - merged[-1][1] < MIN_GUTTER:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    if len(merged) < 2:
        return []
    # Columns reach from gutter to gutter so that items a bit wider than the narrow
    # ones (a long caption) still belong to their column.
    edges = [left] + [(a[1] + b[0]) / 2 for a, b in pairwise(merged)]
    edges.append(right)
    return [_Column(x0, x1) for x0, x1 in pairwise(edges)]

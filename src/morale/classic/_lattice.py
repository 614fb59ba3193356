"""Torus geometry: vision windows, and count fields kept as window sums.

A window is stored row by row: for each distinct row offset dy (mod height) a run of ``length`` cells
starting at dx = ``lo``, wrapping at the edge. Every shape of vision the ports use (von Neumann diamond,
Moore square, Euclidean disc, the four-arm cross) is one contiguous run per row and symmetric, so "the cells
that see p" is the window of p itself. That symmetry is what lets a field of *seen* counts be maintained by
adding +-1 over one window whenever a cop or an active citizen arrives, leaves or changes state; a citizen's
neighbourhood count is then a single read.

On a lattice smaller than the window, offsets that land on the same cell are merged, as Mesa's cell
neighbourhoods and NetLogo's patch sets are sets: no cell is ever counted twice.

The compiled functions take plain arrays: Numba passes a tuple of arrays to a call by touching every
member's reference count, which in the inner loop costs more than the work itself.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from morale.classic import _rng

NEIGHBOURHOODS = ("von_neumann", "moore", "euclidean", "cross")


class Window(NamedTuple):
    """The cells an agent inspects, relative to its own cell, on a given torus."""

    rows: np.ndarray
    """(row offset dy, first dx, number of cells) for each row, dy and dx in [0, size)."""
    cells: np.ndarray
    """(dx, dy) of every cell of the window but the agent's own: its candidate destinations."""


def _half_widths(neighbourhood, vision):
    """{dy: largest |dx|} of the untruncated window of radius ``vision`` around the origin."""
    reach = math.floor(vision + 1e-9)
    if neighbourhood == "von_neumann":
        return {dy: reach - abs(dy) for dy in range(-reach, reach + 1)}
    if neighbourhood == "moore":
        return dict.fromkeys(range(-reach, reach + 1), reach)
    if neighbourhood == "cross":
        return {dy: reach if dy == 0 else 0 for dy in range(-reach, reach + 1)}
    if neighbourhood == "euclidean":
        return {dy: math.floor(math.sqrt(vision * vision - dy * dy) + 1e-9) for dy in range(-reach, reach + 1)}
    raise ValueError(f"unknown neighbourhood {neighbourhood!r}; choose from {', '.join(NEIGHBOURHOODS)}")


def window(neighbourhood, vision, width, height):
    """The ``Window`` of the given shape and radius on a ``width`` x ``height`` torus."""
    half = {}
    for dy, reach in _half_widths(neighbourhood, vision).items():
        half[dy % height] = max(reach, half.get(dy % height, -1))
    rows = np.array(
        [
            (dy, (-reach) % width, 2 * reach + 1) if 2 * reach + 1 < width else (dy, 0, width)
            for dy, reach in sorted(half.items())
        ],
        dtype=np.int64,
    ).reshape(-1, 3)
    cells = np.array(
        [((lo + i) % width, dy) for dy, lo, length in rows for i in range(length) if ((lo + i) % width, dy) != (0, 0)],
        dtype=np.int64,
    ).reshape(-1, 2)
    return Window(rows, cells)


@njit(cache=True, _nrt=False)
def add_around(fields, which, cell, delta, rows, own_cell, width, height):
    """Add ``delta`` to ``fields[which]`` at every cell whose window holds ``cell`` (= the window of ``cell``)."""
    y, x = divmod(cell, width)
    for r in range(rows.shape[0]):
        ny = y + rows[r, 0]
        if ny >= height:
            ny -= height
        base = ny * width
        start = x + rows[r, 1]
        if start >= width:
            start -= width
        end = start + rows[r, 2]
        if end <= width:
            for i in range(base + start, base + end):
                fields[which, i] += delta
        else:
            for i in range(base + start, base + width):
                fields[which, i] += delta
            for i in range(base, base + end - width):
                fields[which, i] += delta
    if not own_cell:
        fields[which, cell] -= delta


@njit(cache=True, _nrt=False)
def nth_in_window(fields, which, cell, nth, rows, own_cell, width, height):
    """Where the ``nth`` (0-based) unit of ``fields[which]`` in the window of ``cell`` lies, row by row.

    Returns the cell and the unit's rank among that cell's own units; with ``nth`` < 0 it only counts,
    returning (-1, total units in the window).
    """
    y, x = divmod(cell, width)
    seen = 0
    for r in range(rows.shape[0]):
        ny = y + rows[r, 0]
        if ny >= height:
            ny -= height
        base = ny * width
        start = x + rows[r, 1]
        if start >= width:
            start -= width
        for i in range(rows[r, 2]):
            target = base + (start + i if start + i < width else start + i - width)
            units = fields[which, target]
            if units == 0 or (target == cell and not own_cell):
                continue
            if 0 <= nth < seen + units:
                return target, nth - seen
            seen += units
    return -1, seen


@njit(cache=True, _nrt=False)
def random_free_in_window(rng, fields, blockers, cell, cells, width, height):
    """A cell of the window of ``cell`` drawn uniformly among those nobody blocks, or -1 if none is free.

    Draws window cells until one is free, which is uniform over the free ones; after 32 misses (a nearly
    full window) it lists the free cells and picks one of them, still uniformly, so no case is biased.
    """
    n_cells = cells.shape[0]
    y, x = divmod(cell, width)
    if n_cells == 0:
        return -1
    for _ in range(32):
        j = _rng.below(rng, n_cells)
        target = _shift(x, y, cells[j, 0], cells[j, 1], width, height)
        if fields[blockers, target] == 0:
            return target
    free = 0
    for j in range(n_cells):
        free += fields[blockers, _shift(x, y, cells[j, 0], cells[j, 1], width, height)] == 0
    if free == 0:
        return -1
    pick = _rng.below(rng, free)
    for j in range(n_cells):
        target = _shift(x, y, cells[j, 0], cells[j, 1], width, height)
        if fields[blockers, target] == 0:
            if pick == 0:
                return target
            pick -= 1
    return -1


@njit(cache=True, _nrt=False)
def _shift(x, y, dx, dy, width, height):
    x += dx
    if x >= width:
        x -= width
    y += dy
    if y >= height:
        y -= height
    return y * width + x


@njit(cache=True, _nrt=False)
def random_free_cell(rng, fields, blockers):
    """A cell of the whole lattice drawn uniformly among the unblocked ones (where a released agent lands)."""
    n_cells = fields.shape[1]
    for _ in range(64):
        target = _rng.below(rng, n_cells)
        if fields[blockers, target] == 0:
            return target
    free = 0
    for c in range(n_cells):
        free += fields[blockers, c] == 0
    if free == 0:
        return -1
    pick = _rng.below(rng, free)
    for c in range(n_cells):
        if fields[blockers, c] == 0:
            if pick == 0:
                return c
            pick -= 1
    return -1

"""Outlines every format draws alike: straight lines and cubic Béziers, in one
coordinate system (arcs become Béziers, so PDF and EPS need nothing more)."""

from collections.abc import Iterable

#: A quarter circle as a cubic Bézier: control points this far along the tangents.
KAPPA = 0.5522847498


class Path:
    """Sub-paths of ``("M", x, y)``, ``("L", x, y)``, ``("C", x1, y1, x2, y2, x, y)`` and ``("Z",)``."""

    __slots__ = ("ops",)

    def __init__(self, ops: Iterable[tuple] = ()):
        self.ops: list[tuple] = list(ops)

    def __bool__(self) -> bool:
        return bool(self.ops)

    def move(self, x: float, y: float) -> "Path":
        self.ops.append(("M", x, y))
        return self

    def line(self, x: float, y: float) -> "Path":
        self.ops.append(("L", x, y))
        return self

    def curve(self, x1: float, y1: float, x2: float, y2: float, x: float, y: float) -> "Path":
        self.ops.append(("C", x1, y1, x2, y2, x, y))
        return self

    def close(self) -> "Path":
        self.ops.append(("Z",))
        return self

    def extend(self, other: "Path") -> "Path":
        self.ops.extend(other.ops)
        return self

    def rect(self, x: float, y: float, w: float, h: float) -> "Path":
        """Add a rectangle, clockwise (on screen: y grows downwards)."""
        return self.move(x, y).line(x + w, y).line(x + w, y + h).line(x, y + h).close()

    def rounded_rect(self, x: float, y: float, w: float, h: float,
                     radii: tuple[float, float, float, float]) -> "Path":
        """Add a rectangle, clockwise, whose corners (top-left, top-right, bottom-right,
        bottom-left) are quarter circles of ``radii`` (0: a sharp corner)."""
        tl, tr, br, bl = (min(r, w / 2, h / 2) for r in radii)
        k = 1 - KAPPA
        self.move(x + tl, y).line(x + w - tr, y)
        if tr:
            self.curve(x + w - tr * k, y, x + w, y + tr * k, x + w, y + tr)
        self.line(x + w, y + h - br)
        if br:
            self.curve(x + w, y + h - br * k, x + w - br * k, y + h, x + w - br, y + h)
        self.line(x + bl, y + h)
        if bl:
            self.curve(x + bl * k, y + h, x, y + h - bl * k, x, y + h - bl)
        self.line(x, y + tl)
        if tl:
            self.curve(x, y + tl * k, x + tl * k, y, x + tl, y)
        return self.close()

    def ellipse(self, cx: float, cy: float, rx: float, ry: float) -> "Path":
        """Add an ellipse, clockwise."""
        return self.rounded_rect(cx - rx, cy - ry, 2 * rx, 2 * ry, (rx, rx, rx, rx)) if rx == ry else \
            self._ellipse(cx, cy, rx, ry)

    def _ellipse(self, cx: float, cy: float, rx: float, ry: float) -> "Path":
        kx, ky = rx * KAPPA, ry * KAPPA
        return (self.move(cx, cy - ry)
                .curve(cx + kx, cy - ry, cx + rx, cy - ky, cx + rx, cy)
                .curve(cx + rx, cy + ky, cx + kx, cy + ry, cx, cy + ry)
                .curve(cx - kx, cy + ry, cx - rx, cy + ky, cx - rx, cy)
                .curve(cx - rx, cy - ky, cx - kx, cy - ry, cx, cy - ry)
                .close())

    def transformed(self, scale: float, dx: float = 0.0, dy: float = 0.0) -> "Path":
        """The same outline scaled by ``scale``, then moved by ``(dx, dy)``."""
        out = []
        for op in self.ops:
            coords = op[1:]
            out.append((op[0], *(c * scale + (dx if i % 2 == 0 else dy) for i, c in enumerate(coords))))
        return Path(out)

    def points(self) -> Iterable[tuple[float, float]]:
        """Every point the ops name, control points included (bounds, tests)."""
        for op in self.ops:
            coords = op[1:]
            yield from zip(coords[::2], coords[1::2])

    def svg_data(self, digits: int = 2) -> str:
        """The path as SVG path data."""
        def number(value: float) -> str:
            text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
            return "0" if text in ("", "-0") else text

        return "".join(op[0] + " ".join(number(c) for c in op[1:]) for op in self.ops)

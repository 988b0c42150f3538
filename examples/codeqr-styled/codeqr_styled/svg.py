"""Styled SVG: one path for the modules, one per eye part; user units are modules."""

from .style import DOT_SCALE, EYE_RADII, StyledRenderer, data_modules, eye_origins


def _n(value: float) -> str:
    """Format a coordinate compactly: 3 decimals at most, no trailing zeros."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _rect(x: float, y: float, w: float, h: float, tl=0.0, tr=0.0, br=0.0, bl=0.0) -> str:
    """Return a clockwise rectangle with the given corner radii (0 = square corner)."""
    d = [f"M{_n(x + tl)} {_n(y)}H{_n(x + w - tr)}"]
    if tr:
        d.append(f"a{_n(tr)} {_n(tr)} 0 0 1 {_n(tr)} {_n(tr)}")
    d.append(f"V{_n(y + h - br)}")
    if br:
        d.append(f"a{_n(br)} {_n(br)} 0 0 1 -{_n(br)} {_n(br)}")
    d.append(f"H{_n(x + bl)}")
    if bl:
        d.append(f"a{_n(bl)} {_n(bl)} 0 0 1 -{_n(bl)} -{_n(bl)}")
    d.append(f"V{_n(y + tl)}")
    if tl:
        d.append(f"a{_n(tl)} {_n(tl)} 0 0 1 {_n(tl)} -{_n(tl)}")
    return "".join(d) + "z"


def _circle(cx: float, cy: float, r: float) -> str:
    """Return a circle as two half arcs (a path, so all dots share one element)."""
    return f"M{_n(cx - r)} {_n(cy)}a{_n(r)} {_n(r)} 0 1 0 {_n(2 * r)} 0a{_n(r)} {_n(r)} 0 1 0 -{_n(2 * r)} 0z"


def _runs(spec):
    """Yield ``(x0, x1, y, first_corners, last_corners)`` for each horizontal run of data modules."""
    run = None
    for x, y, corners in data_modules(spec):
        if run and run[2] == y and run[1] == x - 1:
            run = (run[0], x, y, run[3], corners)
        else:
            if run:
                yield run
            run = (x, x, y, corners, corners)
    if run:
        yield run


def modules_path(spec, shape: str) -> str:
    """Return the path data of every data module in ``shape``."""
    if shape == "dots":
        r = DOT_SCALE / 2
        return "".join(_circle(x + 0.5, y + 0.5, r) for x, y, _ in data_modules(spec))
    # A run's inner corners all touch a neighbour, so only its four ends can be rounded.
    r = 0.5 if shape == "rounded" else 0.0
    parts = []
    for x0, x1, y, first, last in _runs(spec):
        parts.append(_rect(x0, y, x1 - x0 + 1, 1, r * (first & 1 > 0), r * (last & 2 > 0),
                           r * (last & 4 > 0), r * (first & 8 > 0)))
    return "".join(parts)


def eye_paths(spec, shape: str) -> tuple[str, str]:
    """Return the path data of the eye frames (holes cut by even-odd) and of the balls."""
    frames, balls = [], []
    for x, y in eye_origins(spec):
        if shape == "circle":
            frames.append(_circle(x + 3.5, y + 3.5, 3.5) + _circle(x + 3.5, y + 3.5, 2.5))
            balls.append(_circle(x + 3.5, y + 3.5, 1.5))
            continue
        outer, hole, ball = EYE_RADII if shape == "rounded" else (0.0, 0.0, 0.0)
        frames.append(_rect(x, y, 7, 7, *[outer] * 4) + _rect(x + 1, y + 1, 5, 5, *[hole] * 4))
        balls.append(_rect(x + 2, y + 2, 3, 3, *[ball] * 4))
    return "".join(frames), "".join(balls)


class StyledSvgRenderer(StyledRenderer):
    name = "styled-svg"
    media_type = "image/svg+xml"

    def render(self, spec) -> bytes:
        count = len(spec.modules)
        eye = self.style.eye_color_for(spec)
        modules, eyes = self.style.shapes_for(spec)
        frames, balls = eye_paths(spec, eyes)
        # Straight edges stay crisp; curves need antialiasing to look round.
        module_rendering = "crispEdges" if modules == "square" else "geometricPrecision"
        eye_rendering = "crispEdges" if eyes == "square" else "geometricPrecision"
        overlay = ""
        if spec.overlay is not None:
            # The overlay draws in pixels; the drawing above is in modules.
            overlay = f'<g transform="scale({count / spec.size:.6f})">{spec.overlay.svg_element(spec)}</g>'
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{spec.size}" height="{spec.size}" viewBox="0 0 {count} {count}">'
            f'<rect width="{count}" height="{count}" fill="{spec.bg_color}"/>'
            f'<path fill="{spec.fg_color}" shape-rendering="{module_rendering}" '
            f'd="{modules_path(spec, modules)}"/>'
            f'<path fill="{eye}" fill-rule="evenodd" shape-rendering="{eye_rendering}" d="{frames}"/>'
            f'<path fill="{eye}" shape-rendering="{eye_rendering}" d="{balls}"/>'
            f"{overlay}</svg>"
        )
        return svg.encode()

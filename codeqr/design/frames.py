"""Frames: where the code sits in the image and what is drawn around it (the frame and
its caption). Without a frame the code fills the image."""

from typing import NamedTuple

from .drawing import Box, Fill, Item
from .paths import Path


class Layout(NamedTuple):
    """``height`` of the image (its width is ``size``); ``code``: the square (a
    ``geometry.Box``) the symbol and quiet zone fill; ``behind``: drawn first (backgrounds,
    the frame); ``above``: drawn last (captions)."""

    height: int
    code: Box
    behind: list[Item]
    above: list[Item]


def layout(spec) -> Layout:
    """The layout of the design's frame."""
    size = spec.size
    background = Fill(Path().rect(0, 0, size, size), spec.bg_color)
    return Layout(size, Box(0, 0, size, size), [background], [])

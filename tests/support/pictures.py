"""Pictures for the tests of certificates: a drawn photo, and the same pixels in other bytes."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any


def certificate_photo() -> bytes:
    """A JPEG of a drawn certificate (a frame, a seal, lines of "text")."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (320, 220), "white")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((8, 8, 311, 211), outline=(150, 20, 20), width=4)
    draw.ellipse((220, 130, 290, 200), outline=(200, 0, 0), width=3)
    for row in range(5):
        draw.line((30, 40 + row * 22, 200 + row * 9, 40 + row * 22), fill=(20, 20, 20), width=3)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def resaved(data: bytes, fmt: str, change: Callable[[Any], None] | None = None) -> bytes:
    """The picture's pixels (``change``d, if given) saved again as ``fmt``."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:
        pixels = picture.convert("RGB")
    if change is not None:
        change(pixels)
    out = io.BytesIO()
    pixels.save(out, fmt)
    return out.getvalue()

"""Fax images (TIFF, class F style): make, read and turn into PDF. Blocking (CPU, files).

A fax page is 1,728 pixels wide (8.5 in at 204 dpi across) and 196 lines per
inch down ("fine" resolution), one bit per pixel, compressed with CCITT Group
4 (or Group 3) as TIFF. Both the simulator (its fax machines send and take
real TIFFs) and the fax service (uploads, downloads, page counts) use these
helpers, so they live low in the layers, beside ``numbers.py``.

Pillow reads and writes them (``libtiff`` inside Pillow does the CCITT
coding). Ghostscript, which renders uploaded PDFs, lives in
``ctid.fax.documents``: it reads PDF but not TIFF, so the way back (TIFF to PDF
for a download) is Pillow's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import attrs
from PIL import Image, ImageDraw, ImageSequence

__all__ = [
    "FAX_DPI",
    "FAX_WIDTH",
    "FaxImageError",
    "TiffInfo",
    "make_fax_tiff",
    "normalise_tiff",
    "tiff_info",
    "tiff_to_pdf",
]

#: Horizontal and vertical resolution of a fine fax page (dots per inch).
FAX_DPI: Final = (204, 196)
#: Pixels across a fax page (ITU-T T.4, A4/letter width).
FAX_WIDTH: Final = 1728
#: Lines of an A4 page at 196 lpi (297 mm).
A4_LINES: Final = 2292
#: Pages in one document at most (a bound on work per upload).
MAX_PAGES: Final = 500
#: TIFF tag numbers.
_STRIP_BYTE_COUNTS: Final = 279


class FaxImageError(ValueError):
    """The data is not a document ctid can fax (not a TIFF, no pages, too many pages)."""


@attrs.frozen(kw_only=True)
class TiffInfo:
    """What a fax TIFF holds."""

    pages: int
    #: (horizontal, vertical) dpi of the first page.
    resolution: tuple[float, float]
    width: int
    #: Compressed bytes of each page: what crosses the line at 9,600 bit/s.
    page_bytes: tuple[int, ...]


def make_fax_tiff(pages: Sequence[str], *, compression: str = "group4") -> bytes:
    """A multi-page fax TIFF with one text block per page (what a fax machine sends)."""
    if not pages:
        raise FaxImageError("a fax has at least one page")
    images = []
    for number, text in enumerate(pages, start=1):
        page = Image.new("1", (FAX_WIDTH, A4_LINES), 1)
        draw = ImageDraw.Draw(page)
        # A letterhead rule, the text, a page footer: enough black to code like paper.
        draw.rectangle((100, 100, FAX_WIDTH - 100, 160), fill=0)
        y = 260
        for line in text.splitlines() or [""]:
            draw.text((120, y), line, fill=0, font_size=40)
            y += 60
        draw.text((120, A4_LINES - 160), f"Page {number} of {len(pages)}", fill=0, font_size=32)
        images.append(page)
    out = io.BytesIO()
    images[0].save(
        out,
        format="TIFF",
        save_all=True,
        append_images=images[1:],
        compression=compression,
        dpi=FAX_DPI,
    )
    return out.getvalue()


def _open(source: bytes | Path) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (OSError, SyntaxError, ValueError) as exc:
        raise FaxImageError(f"not an image Pillow can read: {exc}") from None
    if image.format != "TIFF":
        image.close()
        raise FaxImageError(f"not a TIFF (it is {image.format})")
    return image


def tiff_info(source: bytes | Path) -> TiffInfo:
    """Pages, resolution and page sizes of a TIFF; raises ``FaxImageError``."""
    with _open(source) as image:
        page_bytes: list[int] = []
        width = image.width
        dpi = image.info.get("dpi", (0.0, 0.0))
        try:
            for frame in ImageSequence.Iterator(image):
                if len(page_bytes) >= MAX_PAGES:
                    raise FaxImageError(f"more than {MAX_PAGES} pages")
                counts = frame.tag_v2.get(_STRIP_BYTE_COUNTS, ())  # type: ignore[attr-defined]
                if isinstance(counts, int):
                    counts = (counts,)
                page_bytes.append(int(sum(counts)))
        except (OSError, EOFError) as exc:
            raise FaxImageError(f"a broken TIFF: {exc}") from None
    return TiffInfo(
        pages=len(page_bytes),
        resolution=(float(dpi[0]), float(dpi[1])),
        width=width,
        page_bytes=tuple(page_bytes),
    )


def normalise_tiff(source: bytes, *, compression: str = "group4") -> bytes:
    """A TIFF as a fax machine takes it: 1,728 pixels across, 204x196 dpi, bilevel.

    A TIFF that is so already is returned as it is.
    """
    info = tiff_info(source)
    if info.width == FAX_WIDTH and info.resolution == (204.0, 196.0):
        with _open(source) as image:
            if image.mode == "1":
                return source
    pages = []
    with _open(source) as image:
        for frame in ImageSequence.Iterator(image):
            dpi = frame.info.get("dpi") or (FAX_DPI[0], FAX_DPI[1])
            x_dpi, y_dpi = (float(dpi[0]) or 204.0), (float(dpi[1]) or 196.0)
            # Keep the page's proportions: its width becomes 8.5 in of fax paper.
            width_in, height_in = frame.width / x_dpi, frame.height / y_dpi
            height = max(1, round(height_in * (8.5 / width_in) * FAX_DPI[1]))
            page = frame.convert("L").resize((FAX_WIDTH, height)).convert("1")
            pages.append(page)
    out = io.BytesIO()
    pages[0].save(
        out,
        format="TIFF",
        save_all=True,
        append_images=pages[1:],
        compression=compression,
        dpi=FAX_DPI,
    )
    return out.getvalue()


def tiff_to_pdf(source: bytes | Path) -> bytes:
    """A PDF of a fax TIFF, one page per page, at the page's true size.

    Fax pixels are not square (204 x 196 dpi); PDF pages from Pillow have one
    resolution, so each page is stretched down to 204 lpi first.
    """
    pages = []
    with _open(source) as image:
        for frame in ImageSequence.Iterator(image):
            dpi = frame.info.get("dpi") or FAX_DPI
            x_dpi, y_dpi = float(dpi[0]) or 204.0, float(dpi[1]) or 196.0
            height = max(1, round(frame.height * x_dpi / y_dpi))
            pages.append(frame.convert("1").resize((frame.width, height)))
            resolution = x_dpi
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=resolution)
    return out.getvalue()

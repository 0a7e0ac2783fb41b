"""Documents on disk: uploads made fax-ready, sent faxes put together. Blocking code.

An uploaded PDF is rendered by Ghostscript (``gs -sDEVICE=tiffg4 -r204x196``)
to a fax TIFF at fine resolution, A4, each page fitted to the paper; an
uploaded TIFF is brought to fax width and resolution with Pillow when it is not
so already (``faximage.normalise_tiff``). Files are laid out by day like
recordings (``recording.files``, whose helpers are shared).
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from PIL import Image, ImageSequence

from .. import faximage
from ..recording import files

__all__ = ["DocumentError", "combine", "pdf_to_tiff", "store_upload", "write_file"]

#: Seconds Ghostscript may take for one document.
GS_TIMEOUT: Final = 120.0


class DocumentError(ValueError):
    """An upload that cannot be faxed; the message says why."""


def sniff(data: bytes) -> str:
    """``pdf`` or ``tiff`` by the first bytes; raises ``DocumentError``."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    raise DocumentError("send a PDF or a TIFF document")


def pdf_to_tiff(pdf: bytes, *, device: str = "tiffg4", gs: str = "gs") -> bytes:
    """Render a PDF to a fax TIFF with Ghostscript."""
    with tempfile.TemporaryDirectory(prefix="ctid-fax-") as tmp:
        source = Path(tmp) / "in.pdf"
        target = Path(tmp) / "out.tif"
        source.write_bytes(pdf)
        command = [
            gs,
            "-q",
            "-dNOPAUSE",
            "-dBATCH",
            "-dSAFER",
            f"-sDEVICE={device}",
            "-r204x196",
            "-sPAPERSIZE=a4",
            "-dFIXEDMEDIA",
            "-dPDFFitPage",
            f"-sOutputFile={target}",
            str(source),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=GS_TIMEOUT, check=False)
        except FileNotFoundError:
            raise DocumentError(f"Ghostscript ({gs}) is not installed") from None
        except subprocess.TimeoutExpired:
            raise DocumentError("Ghostscript took too long on this PDF") from None
        if done.returncode != 0 or not target.exists():
            detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
            raise DocumentError(f"Ghostscript could not render the PDF: {detail[0]}")
        return target.read_bytes()


def make_fax_ready(data: bytes, *, device: str, gs: str) -> tuple[str, bytes]:
    """(source kind, fax TIFF) of an upload; raises ``DocumentError``."""
    kind = sniff(data)
    try:
        if kind == "pdf":
            return kind, pdf_to_tiff(data, device=device, gs=gs)
        return kind, faximage.normalise_tiff(
            data, compression="group4" if device == "tiffg4" else "group3"
        )
    except faximage.FaxImageError as exc:
        raise DocumentError(str(exc)) from None


def write_file(directory: Path, relative: str, data: bytes) -> tuple[int, str]:
    """Write ``data`` at ``relative`` under ``directory``; (size, SHA-256)."""
    path = files.resolve(directory, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return files.digest(path)


def store_upload(
    directory: Path, relative: str, data: bytes, *, device: str, gs: str
) -> tuple[str, int, int, str]:
    """Make an upload fax-ready and write it: (source kind, pages, size, SHA-256)."""
    kind, tiff = make_fax_ready(data, device=device, gs=gs)
    info = faximage.tiff_info(tiff)
    size, sha = write_file(directory, relative, tiff)
    return kind, info.pages, size, sha


def combine(directory: Path, sources: Sequence[str], relative: str) -> tuple[int, int, str]:
    """Put documents one after the other into one TIFF: (pages, size, SHA-256)."""
    pages: list[Image.Image] = []
    for source in sources:
        with Image.open(files.resolve(directory, source)) as image:
            pages.extend(frame.copy() for frame in ImageSequence.Iterator(image))
    if not pages:
        raise DocumentError("no pages to send")
    out = io.BytesIO()
    pages[0].save(
        out,
        format="TIFF",
        save_all=True,
        append_images=pages[1:],
        compression="group4",
        dpi=faximage.FAX_DPI,
    )
    size, sha = write_file(directory, relative, out.getvalue())
    return len(pages), size, sha

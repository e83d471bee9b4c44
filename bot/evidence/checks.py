"""What a file is, judged by its content, and what is kept of it.

The type a channel states (a MIME type, a file name) is never trusted: a file is an image when
Pillow can decode it as one of :data:`IMAGE_FORMATS`, or a document when its first bytes are
those of an allowed type (:data:`DOCUMENT_TYPES`); anything else is refused. Images have their
metadata removed unless the operator keeps it (``DJBOT_MEDIA_KEEP_METADATA``): EXIF (which
holds the GPS position of phone photos, the camera, the time), XMP and text chunks; the EXIF
orientation is applied to the pixels first, so the photo still shows upright. ICC colour
profiles are kept (they say nothing about anyone).

Sources: the file signatures are those of the formats' specifications (PDF: ISO 32000-1 §7.5.2
``%PDF-``; ZIP-based Office Open XML: ECMA-376 Part 2, the part names ``word/document.xml``,
``xl/workbook.xml``, ``ppt/presentation.xml``; OFD: GB/T 33190-2016, the entry ``OFD.xml``;
legacy Office and WPS: the OLE2 compound file header ``D0 CF 11 E0 A1 B1 1A E1``).
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

#: Pillow formats accepted as photos -> (MIME type, file extension). MPO is the multi-picture
#: JPEG some cameras write; its first picture is kept as a JPEG.
IMAGE_FORMATS: Final[dict[str, tuple[str, str]]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "MPO": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}
#: Document types accepted, by the name used in messages -> (MIME type, extension).
DOCUMENT_TYPES: Final[dict[str, tuple[str, str]]] = {
    "pdf": ("application/pdf", ".pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    "ofd": ("application/ofd", ".ofd"),
    "doc": ("application/msword", ".doc"),
    "xls": ("application/vnd.ms-excel", ".xls"),
    "ppt": ("application/vnd.ms-powerpoint", ".ppt"),
    "wps": ("application/vnd.ms-works", ".wps"),
    "et": ("application/vnd.ms-excel", ".et"),
    "dps": ("application/vnd.ms-powerpoint", ".dps"),
}
_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OOXML_PARTS: Final = (
    ("word/document.xml", "docx"),
    ("xl/workbook.xml", "xlsx"),
    ("ppt/presentation.xml", "pptx"),
    ("OFD.xml", "ofd"),
)
_OLE_EXTENSIONS: Final = {".doc": "doc", ".xls": "xls", ".ppt": "ppt", ".wps": "wps"}
_OLE_EXTENSIONS.update({".et": "et", ".dps": "dps"})
ALLOWED_TEXT: Final = "照片（JPG、PNG、WEBP、GIF）和 PDF、Word、Excel、PPT、WPS、OFD 文件"
MB: Final = 1024 * 1024


class Refused(ValueError):
    """A file that is not kept; the message (Chinese) says why and what is accepted."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What is accepted: ``max_file_bytes`` per file (Telegram bots download at most 20 MB,
    Bot API ``getFile``), ``max_record_bytes`` and ``max_record_files`` per record,
    ``max_pixels`` per image (larger ones are refused as decompression bombs), and whether
    image metadata is kept (``keep_metadata``; removed by default)."""

    max_file_bytes: int = 20 * MB
    max_record_bytes: int = 100 * MB
    max_record_files: int = 30
    max_pixels: int = 60_000_000
    keep_metadata: bool = False


@dataclass(frozen=True, slots=True)
class Checked:
    """A file as it is kept: ``kind`` ``"photo"`` or ``"file"``, the bytes to store (images
    without metadata), their SHA-256 (hex), the MIME type and extension found by content, and
    for images their size in pixels."""

    kind: str
    data: bytes
    sha256: str
    mime_type: str
    extension: str
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        """Stored size in bytes."""
        return len(self.data)


def megabytes(n: int) -> str:
    """``20971520`` -> ``"20MB"`` (one decimal below 10 MB)."""
    value = n / MB
    return f"{value:.1f}MB".replace(".0MB", "MB") if value < 10 else f"{value:.0f}MB"


def inspect(data: bytes, filename: str, limits: Limits) -> Checked:
    """Judge ``data`` by its content and return what is kept of it.

    ``filename`` (the sender's, may be empty) only tells legacy Office files apart (.doc, .xls
    and .ppt share one container format).

    Raises:
        Refused: empty, too large, not an allowed type, a damaged or oversized image.
    """
    if not data:
        raise Refused("文件是空的，请重新发送。")
    if len(data) > limits.max_file_bytes:
        raise Refused(f"文件超过{megabytes(limits.max_file_bytes)}，未保存。请压缩后重新发送。")
    image = _image(data, limits)
    if image is not None:
        return image
    kind = _document_kind(data, filename)
    if kind is None:
        if _is_heic(data):
            raise Refused("暂不支持 HEIC 格式，请以“照片”方式发送，或转为 JPG 后发送。")
        raise Refused(f"不支持这种文件。可以发送{ALLOWED_TEXT}。")
    mime, extension = DOCUMENT_TYPES[kind]
    return Checked("file", data, hashlib.sha256(data).hexdigest(), mime, extension)


def _image(data: bytes, limits: Limits) -> Checked | None:
    """The image in ``data``, cleaned; ``None`` when ``data`` is not an image Pillow knows."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                probe.verify()
        except UnidentifiedImageError:
            return None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Refused("图片像素过大，未保存。请缩小后重新发送。") from None
        except (OSError, SyntaxError, ValueError):
            raise Refused("图片已损坏，无法打开，请重新发送。") from None
        if fmt not in IMAGE_FORMATS:
            raise Refused(f"不支持 {fmt} 格式的图片。可以发送{ALLOWED_TEXT}。")
        if width * height > limits.max_pixels:
            raise Refused("图片像素过大，未保存。请缩小后重新发送。")
        mime, extension = IMAGE_FORMATS[fmt]
        try:
            kept = data if limits.keep_metadata else _without_metadata(data, fmt)
            with Image.open(io.BytesIO(kept)) as final:
                width, height = final.size
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise Refused("图片已损坏，无法打开，请重新发送。") from None
    return Checked("photo", kept, hashlib.sha256(kept).hexdigest(), mime, extension, width, height)


def _without_metadata(data: bytes, fmt: str) -> bytes:
    """The image re-written without EXIF, XMP or text chunks, orientation applied.

    JPEG keeps its quantisation tables (``quality="keep"``: no visible loss) unless it had to be
    rotated; PNG is lossless anyway; WEBP is re-encoded (lossless when it was); an animated GIF
    is rebuilt frame by frame by Pillow with its comment dropped.
    """
    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        icc = image.info.get("icc_profile")
        extra = {"icc_profile": icc} if icc else {}
        if fmt in ("JPEG", "MPO"):
            rotated = _orientation(image) not in (0, 1)
            target = ImageOps.exif_transpose(image) if rotated else image
            if target.mode not in ("RGB", "L", "CMYK"):
                target = target.convert("RGB")
            if rotated or fmt == "MPO":
                target.save(out, "JPEG", quality=92, optimize=True, comment=b"", **extra)
            else:
                target.save(out, "JPEG", quality="keep", optimize=True, comment=b"", **extra)
        elif fmt == "PNG":
            ImageOps.exif_transpose(image).save(out, "PNG", optimize=True, **extra)
        elif fmt == "WEBP":
            lossless = bool(image.info.get("lossless"))
            ImageOps.exif_transpose(image).save(
                out, "WEBP", lossless=lossless, quality=90, exif=b"", xmp=b"", **extra
            )
        else:  # GIF: no EXIF; re-written to drop comments and application extensions
            frames = getattr(image, "n_frames", 1)
            image.save(out, "GIF", save_all=frames > 1, comment=b"")
    return out.getvalue()


def _orientation(image: Image.Image) -> int:
    return int(image.getexif().get(0x0112, 1) or 1)


def _document_kind(data: bytes, filename: str) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        return next((kind for part, kind in _OOXML_PARTS if part in names), None)
    if data.startswith(_OLE2):
        return _OLE_EXTENSIONS.get(PurePath(filename).suffix.lower())
    return None


def _is_heic(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc")

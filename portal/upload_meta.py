"""What an uploaded picture says besides its pixels, taken out before it is kept.

A phone's photo carries where and when it was taken (EXIF GPS, XMP, IPTC), the phone's make and
serial number, and often further pictures after the first one's end (a depth map or a preview,
each with its own EXIF: the Multi-Picture Format). A teacher's photo of a lesson taken at home
told every organizer, reviewer and admin who opened it where the teacher lives. So a JPEG keeps
its frames and tables, its colour profile and, of its EXIF, only the orientation (a browser turns
the picture by it); a PNG keeps every chunk but its text, EXIF and time ones. Nothing after the
picture's end is kept (a second picture, or a file appended to make a polyglot).

The pixels are never decoded or re-encoded: only the file's segments (JPEG) or chunks (PNG) are
copied or left out, so the same photo uploaded twice is the same kept bytes (the "same file"
rules compare them). A file whose structure cannot be walked is kept as it came (it was accepted
by its magic bytes; a viewer that cannot walk it either shows no metadata of it).
"""

from __future__ import annotations

import struct

JPEG_KINDS = frozenset({".jpg", ".jpeg"})
PNG_KIND = ".png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG chunks that are words or metadata, never pixels: text (often XMP with GPS), EXIF, time
PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})
EXIF_HEADER = b"Exif\x00\x00"
ORIENTATION_TAG = 0x0112
# JPEG markers that carry no length: SOI, EOI, TEM, RST0-7
_STANDALONE = frozenset({0xD8, 0xD9, 0x01, *range(0xD0, 0xD8)})
# APPn segments left out: APP1 (EXIF, XMP), APP2 "MPF" (the pointers to the pictures after the
# first), APP3-APP13 (vendor data, Photoshop/IPTC), APP15; comments (COM). APP0 (JFIF), APP2
# ICC_PROFILE and APP14 (Adobe colour transform) change how the picture looks and stay.
_ICC = b"ICC_PROFILE\x00"


def without_metadata(ext: str, data: bytes) -> bytes:
    """``data`` (a file named ``ext``) without its metadata, or as it came if it is no JPEG or PNG
    or cannot be walked."""
    try:
        if ext in JPEG_KINDS:
            return _jpeg(data)
        if ext == PNG_KIND:
            return _png(data)
    except (ValueError, IndexError, struct.error):
        return data
    return data


def _jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("no SOI")
    out = [b"\xff\xd8"]
    pos, end = 2, len(data)
    while pos < end:
        if data[pos] != 0xFF:
            raise ValueError("not a marker")
        while pos < end and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI: the first picture ends; nothing after it is kept
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in _STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        if length < 2 or pos + length > end:
            raise ValueError("segment past the end")
        body = data[pos + 2:pos + length]
        segment = data[pos - 2:pos + length]
        pos += length
        if marker == 0xE1:
            kept = _orientation_only(body) if body.startswith(EXIF_HEADER) else None
            if kept is not None:
                out.append(b"\xff\xe1" + struct.pack(">H", len(kept) + 2) + kept)
            continue
        if 0xE2 <= marker <= 0xEF and marker != 0xEE and not (marker == 0xE2 and body.startswith(_ICC)):
            continue
        if marker == 0xFE:  # COM
            continue
        out.append(segment)
        if marker == 0xDA:  # SOS: the scan's coded data runs to the next marker
            scan_end = _scan_end(data, pos)
            out.append(data[pos:scan_end])
            pos = scan_end
    return b"".join(out)  # cut short after a scan: what a browser would show of it


def _scan_end(data: bytes, pos: int) -> int:
    """Where the coded data that starts at ``pos`` ends: the first 0xFF that is neither a stuffed
    byte (FF 00) nor a restart marker (FF D0-D7); the file's end if it is cut short there (a
    browser shows what it has)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return len(data)
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
            continue
        return pos


def _orientation_only(body: bytes) -> bytes | None:
    """An EXIF segment's body holding only its orientation (other than upright), or None (also
    when the EXIF cannot be read: it is left out whole)."""
    try:
        return _orientation(body)
    except (IndexError, struct.error):
        return None


def _orientation(body: bytes) -> bytes | None:
    tiff = body[len(EXIF_HEADER):]
    order = tiff[:2]
    if order == b"II":
        fmt = "<"
    elif order == b"MM":
        fmt = ">"
    else:
        return None
    (ifd,) = struct.unpack(fmt + "I", tiff[4:8])
    (count,) = struct.unpack(fmt + "H", tiff[ifd:ifd + 2])
    for i in range(count):
        entry = tiff[ifd + 2 + 12 * i:ifd + 14 + 12 * i]
        tag, kind, n = struct.unpack(fmt + "HHI", entry[:8])
        if tag == ORIENTATION_TAG and kind == 3 and n == 1:
            (value,) = struct.unpack(fmt + "H", entry[8:10])
            if 2 <= value <= 8:
                return (EXIF_HEADER + b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01"
                        + struct.pack(">HHIHH", ORIENTATION_TAG, 3, 1, value, 0) + b"\x00\x00\x00\x00")
            return None
    return None


def _png(data: bytes) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("no signature")
    out = [PNG_SIGNATURE]
    pos, end = len(PNG_SIGNATURE), len(data)
    while pos + 12 <= end:
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        stop = pos + 12 + length
        if stop > end:  # cut short: kept as it came from here
            break
        if kind not in PNG_DROPPED:
            out.append(data[pos:stop])
        pos = stop
        if kind == b"IEND":  # nothing after the picture's end is kept
            return b"".join(out)
    return b"".join(out) + data[pos:]  # no IEND: the rest as it came

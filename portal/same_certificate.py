"""Whether two certificate files are the same certificate: the same bytes, two PDFs whose
pages hold the same words, or two pictures of the same pixels.

A declared training's certificate may stand on one of the teacher's declarations only
(``activities._require_file_not_declared``). Comparing bytes alone let the same certificate
through a second time once it was printed to PDF again, saved from another viewer, had its
metadata stripped or was saved as PNG: other bytes, the same certificate. A file's likeness
(:func:`likeness`) says what it shows: a PDF's words on its first pages (letters and digits
only, so spacing and line breaks do not tell two apart, but a mark between two digits where
punctuation stands, so that 1.5 hours are not 15 nor 2024.1.12 2024.11.2; enough of them to say so), or a
picture's pixels. A new photo or scan of the same paper has other pixels and is not found: only
what shows the very same thing is, so two certificates that differ in a name, a date or a
number are never taken for one.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import subprocess
import sys
import unicodedata
from typing import Any

#: The pages read of a certificate (one or two pages; a long file is not read further).
PAGES_READ = 3
#: Fewer letters and digits than this say too little to call two files one certificate.
WORDS_AT_LEAST = 12

PDF_MAGIC = b"%PDF-"

#: pypdf's bounds while a certificate is read (its defaults let a 10 KB file that unpacks into
#: a million text operators take seconds of a worker): a certificate's page holds some hundred
#: operators and unpacks to kilobytes. A file past a bound has no words: compared by its bytes.
READING_BOUNDS: dict[str, int] = {
    "stream_parsing_work_maximum_count": 50_000,
    "stream_decoding_work_maximum_length": 4_000_000,
    "zlib_maximum_output_length": 2_000_000,
    "lzw_maximum_output_length": 2_000_000,
    "run_length_maximum_output_length": 2_000_000,
    "brotli_maximum_output_length": 2_000_000,
    "array_based_stream_maximum_output_length": 2_000_000,
    "xform_maximum_invocations_per_extraction": 50,
}


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(PDF_MAGIC)


#: Punctuation between two digits (spaces and line breaks left out first): "1.5", "2024.1.12".
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[^\w]+(?=\d)")
#: What stands for it in a PDF's words (no letter or digit).
DIGITS_APART = "|"


def words_of(text: str) -> str:
    """A text's letters and digits, in order (NFKC: a full-width "３２" reads as "32"), and
    :data:`DIGITS_APART` where punctuation stands between two digits: spacing and line breaks
    do not tell two certificates apart, but "1.5" hours are not "15", nor the day 2024.1.12
    2024.11.2, nor the number QX-2024-1-12 QX-2024-11-2 (letters and digits alone, they were)."""
    text = "".join(c for c in unicodedata.normalize("NFKC", text) if not c.isspace())
    text = _BETWEEN_DIGITS.sub(DIGITS_APART, text)
    return "".join(c for c in text if c.isalnum() or c == DIGITS_APART)


def pdf_words(data: bytes) -> str:
    """The words (:func:`words_of`) of a PDF's first :data:`PAGES_READ` pages, or "" for a
    file that is no PDF, holds no words or cannot be read (pypdf's many errors on a broken or
    hostile file: it is then compared by its bytes)."""
    if not is_pdf(data):
        return ""
    from pypdf import PdfReader, apply_configuration  # imported when a certificate comes, not at start-up

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a broken file's warnings are no one's to read
    try:
        with apply_configuration(None, **READING_BOUNDS):
            reader = PdfReader(io.BytesIO(data))
            text = "".join(page.extract_text() or "" for page in reader.pages[:PAGES_READ])
    except Exception:  # a bound reached, a broken or hostile file
        return ""
    return words_of(text)


#: What a picture may hold to be read for its pixels (a phone's photo is some 12 million).
PIXELS_AT_MOST = 40_000_000


#: Pixels hashed at a time (some 4 MB as RGB): a picture is not copied whole to be hashed.
PIXELS_AT_A_TIME = 1_000_000


def picture_pixels(data: bytes) -> str:
    """A digest of a picture's pixels as shown (its first frame — of an animated PNG with a default
    image, the animation's first, as a browser shows it —, turned upright as its EXIF
    orientation says, as 8-bit RGB, with its size), or "" for a file that is no picture Pillow
    reads, or one of more than :data:`PIXELS_AT_MOST` pixels (its size is read before its
    pixels: a small file declaring a huge picture is not unpacked). The pixels are hashed some
    rows at a time: the picture is held once, not also as RGB and as bytes (a 12 KB PNG of 40
    million pixels took 420 MB)."""
    from PIL import Image, ImageOps  # imported when a certificate comes, not at start-up

    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            if width * height > PIXELS_AT_MOST:
                return ""
            if getattr(picture, "is_animated", False) and picture.info.get("default_image"):
                picture.seek(1)  # what a browser shows: the animation's first frame, not the default image
            # a photo stored turned, with the orientation that shows it upright, and the same
            # photo stored upright show the same pixels
            ImageOps.exif_transpose(picture, in_place=True)
            width, height = picture.size
            digest = hashlib.sha256(b"%dx%d:" % (width, height))
            rows = max(1, PIXELS_AT_A_TIME // max(width, 1))
            for top in range(0, height, rows):
                digest.update(_rgb(picture.crop((0, top, width, min(height, top + rows)))))
    except Exception:  # no picture, a broken or hostile file (Pillow's many errors): its bytes
        return ""
    return digest.hexdigest()


def _rgb(strip: Any) -> bytes:
    """A strip's pixels as 8-bit RGB. A 16-bit grey PNG keeps its high bytes (as a viewer
    shows it): converted as it is, every value above 255 became white, so that two scans of
    bright paper of one size were all white and the same certificate."""
    from PIL import Image

    if strip.mode in ("I;16", "I;16L", "I;16B"):
        raw = strip.tobytes()
        strip = Image.frombytes("L", strip.size, raw[0::2] if strip.mode == "I;16B" else raw[1::2])
    return bytes(strip.convert("RGB").tobytes())


#: How much of the processor a certificate may take to read (seconds of the child's CPU time,
#: its start included; whole seconds, the kernel's ``RLIMIT_CPU``) and how much memory the child
#: may hold: past either, it has no likeness (compared by its bytes). CPU time, not the clock:
#: on a busy server a certificate read in 0.1 s of CPU took more than 2 s of the clock waiting
#: for a processor, had no likeness, and the same certificate printed again was taken on a
#: second declaration (the rule depended on the server's load).
READ_CPU_SECONDS = 2
READ_MEMORY = 1 << 30
#: The clock's bound, only for a child that neither computes nor ends (waiting for ever on
#: something): far above what a reading that stays within :data:`READ_CPU_SECONDS` takes on
#: a busy server.
READ_SECONDS = 30.0
_A_LIKENESS = re.compile(r"(text|pixels):[0-9a-f]{64}")


def likeness(data: bytes) -> str:
    """What the file shows, to compare certificates by (stored as ``Evidence.likeness``, at most
    71 characters): ``text:`` and a digest of a PDF's words (enough of them), ``pixels:`` and a
    picture's, or "" when it is neither (compared by its bytes). A ``words:`` likeness was read
    before digits were told apart by the punctuation between them: it is read again
    (:data:`READ_AGAIN`).

    Read in a child process bounded in processor time (:data:`READ_CPU_SECONDS`; the clock's
    :data:`READ_SECONDS` only for a child stuck) and memory (:data:`READ_MEMORY`): pypdf bounds
    its streams but not everything a PDF may hold (38 fonts of large character maps, within the
    upload limit, took 10 s and 600 MB), and a worker of the portal is not to be held by one
    upload. A child that fails or is stopped gives "".
    A certificate takes 0.1 s (a PDF) to 0.4 s (a phone's photo), the child's start included."""
    try:
        done = subprocess.run([sys.executable, "-I", __file__, str(READ_MEMORY), str(READ_CPU_SECONDS)],
                              input=data, capture_output=True, timeout=READ_SECONDS, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return ""
    out = done.stdout.decode("ascii", "replace").strip()
    return out if done.returncode == 0 and _A_LIKENESS.fullmatch(out) else ""


def read_likeness(data: bytes) -> str:
    """:func:`likeness` read in this process, unbounded but for pypdf's bounds and
    :data:`PIXELS_AT_MOST` (the child's work)."""
    if is_pdf(data):
        words = pdf_words(data)
        return f"text:{hashlib.sha256(words.encode()).hexdigest()}" if len(words) >= WORDS_AT_LEAST else ""
    pixels = picture_pixels(data)
    return f"pixels:{pixels}" if pixels else ""


def _child() -> None:
    """The child of :func:`likeness`: its memory and processor time bounded first, then the file from stdin read,
    its likeness written to stdout."""
    import resource

    memory, cpu = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU stops it, SIGKILL a second later
    sys.stdout.write(read_likeness(sys.stdin.buffer.read()))


#: The start of a stored likeness read by an earlier rule, to be read again before comparing.
READ_AGAIN = "words:"


def same_certificate(data: bytes, other: bytes, mine: str | None = None) -> bool:
    """Whether ``other`` is the certificate ``data`` is: the same bytes, or the same likeness
    (``mine``: ``data``'s, when the caller compares it with several)."""
    if data == other:
        return True
    mine = likeness(data) if mine is None else mine
    return bool(mine) and likeness(other) == mine


if __name__ == "__main__":
    _child()

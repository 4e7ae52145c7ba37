"""``portal.same_certificate``: a PDF's words and a picture's pixels, read within bounds (a hostile
upload cannot hold a worker for seconds: it is then compared by its bytes)."""

from __future__ import annotations

import io
import zlib
from typing import Any

from portal.same_certificate import WORDS_AT_LEAST, likeness, pdf_words, picture_pixels, same_certificate
from tests.support.pictures import certificate_photo, resaved


def _pdf(content: bytes) -> bytes:
    """A one-page PDF drawing ``content`` (a text content stream, compressed) in Helvetica."""
    packed = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def _text(*runs: bytes) -> bytes:
    return b"BT /F1 12 Tf 10 700 Td " + b" ".join(b"(%s) Tj 0 -14 Td" % r for r in runs) + b" ET"


def test_a_pdf_s_words_are_its_letters_and_digits():
    assert pdf_words(_pdf(_text(b"Certificate No. 2026-17", b"Lin Xiaoyan, 12 hours"))) == \
        "CertificateNo2026|17LinXiaoyan12hours"
    assert pdf_words(b"not a pdf") == "" and pdf_words(b"%PDF-1.4 broken") == ""


def test_two_certificates_whose_numbers_differ_only_by_their_points_are_two():
    """False refusal: letters and digits alone, 1.5 hours on 2024.1.12 (No. QX-2024-1-12) and 15
    hours on 2024.11.2 (No. QX-2024-11-2) read as one certificate, and the teacher's second
    training of the course could not be declared. Spacing and line breaks still tell nothing."""
    first = _pdf(_text(b"Certificate QX-2024-1-12", b"Lin Xiaoyan, 2024.1.12, 1.5 hours"))
    other = _pdf(_text(b"Certificate QX-2024-11-2", b"Lin Xiaoyan, 2024.11.2, 15 hours"))
    assert likeness(first) and not same_certificate(first, other)
    reflowed = _pdf(_text(b"Certificate QX-2024-", b"1-12 Lin Xiao yan, 2024. 1.12,", b"1.5 hours"))
    assert same_certificate(first, reflowed)
    assert pdf_words(first).endswith("2024|1|12LinXiaoyan2024|1|12|1|5hours")


def test_a_likeness_read_by_the_earlier_rule_is_read_again():
    from portal.same_certificate import READ_AGAIN

    first = _pdf(_text(b"Certificate QX-2024-1-12", b"Lin Xiaoyan, 2024.1.12, 1.5 hours"))
    assert not likeness(first).startswith(READ_AGAIN)


def test_one_that_unpacks_into_a_hundred_thousand_operators_is_not_read():
    """2 KB that pypdf's own bounds would read (every "a" of it, in about a second): past the
    certificate's bounds, no words, so only its bytes are compared."""
    hostile = _pdf(b"BT /F1 12 Tf 10 10 Td " + b"(a) Tj " * 100_000 + b"ET")
    assert len(hostile) < 4_000 and pdf_words(hostile) == ""
    assert not same_certificate(hostile, _pdf(b"BT /F1 12 Tf 10 10 Td " + b"(a) Tj " * 100_001 + b"ET"))


def test_too_few_words_say_nothing():
    short, other = _pdf(_text(b"Certificate")), _pdf(_text(b"Cert", b"ificate"))
    assert len(pdf_words(short)) < WORDS_AT_LEAST and short != other
    assert not same_certificate(short, other) and same_certificate(short, short)
    long_ = _text(b"Certificate of twelve hours")
    assert same_certificate(_pdf(long_), _pdf(long_.replace(b"700", b"650")))  # moved on the page


def test_a_picture_with_other_bytes_but_the_same_pixels_is_the_same_certificate():
    """Attack: its metadata stripped (a comment segment here), or saved as PNG, a photo of the
    certificate was other bytes of the same picture. The same pixels are the same certificate;
    one pixel changed, or the photo saved again as JPEG at another quality (other pixels), is
    not: nothing that shows something else is ever taken for it."""
    photo = certificate_photo()
    commented = photo[:2] + b"\xff\xfe\x00\x0eExif: phone\x00" + photo[2:]  # a COM segment after SOI
    as_png = resaved(photo, "PNG")
    assert len({photo, commented, as_png}) == 3
    assert same_certificate(photo, commented) and same_certificate(photo, as_png)
    assert likeness(photo).startswith("pixels:") and likeness(photo) == likeness(as_png)
    one_pixel = resaved(photo, "PNG", lambda p: p.putpixel((100, 100), (0, 0, 255)))
    assert not same_certificate(photo, one_pixel)
    from PIL import Image

    with Image.open(io.BytesIO(photo)) as picture:
        again = io.BytesIO()
        picture.save(again, "JPEG", quality=60)
    assert not same_certificate(photo, again.getvalue())


def test_a_small_file_declaring_a_huge_picture_is_not_unpacked():
    """A PNG header of 100,000 × 100,000 pixels (10 gigapixels) in a few bytes: its size is read,
    not its pixels; no likeness, compared by its bytes."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    huge = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    assert len(huge) < 200 and picture_pixels(huge) == "" and likeness(huge) == ""


def test_a_picture_past_the_bound_is_not_read(monkeypatch):
    """Past :data:`PIXELS_AT_MOST` (lowered here to a thousand pixels) a picture is not unpacked:
    no likeness, so only its bytes are compared."""
    from portal import same_certificate as module

    photo = certificate_photo()
    assert picture_pixels(photo)
    monkeypatch.setattr(module, "PIXELS_AT_MOST", 1_000)
    assert picture_pixels(photo) == "" and module.read_likeness(photo) == ""


def _png(picture: Any, **kw: Any) -> bytes:
    out = io.BytesIO()
    picture.save(out, "PNG", **kw)
    return out.getvalue()


def test_two_sixteen_bit_grey_scans_are_not_one_white_page():
    """False refusal: a 16-bit grey PNG (a scanner's setting) was converted to RGB with every
    value above 255 white, so any two scans of bright paper of one size were the same
    certificate. Its high bytes are read, as a viewer shows it: two scans are two, and the
    16-bit copy of an 8-bit picture is still that picture."""
    from PIL import Image, ImageDraw

    def scan(line_at: int) -> bytes:
        picture = Image.new("I;16", (300, 200), 60_000)
        ImageDraw.Draw(picture).rectangle((20, line_at, 250, line_at + 8), fill=1_000)
        return _png(picture)

    first, other = scan(50), scan(120)
    assert likeness(first) and not same_certificate(first, other)
    grey = Image.new("L", (300, 200), 230)
    ImageDraw.Draw(grey).rectangle((20, 50, 250, 58), fill=3)
    deep = Image.frombytes("I;16", grey.size, bytes(b for v in grey.tobytes() for b in (v, v)))  # v × 257
    assert same_certificate(_png(grey), _png(deep))


def test_a_photo_stored_turned_with_its_orientation_is_the_photo_upright():
    """Attack: a phone's photo stored turned with the EXIF orientation that shows it upright
    (as phones store them), and the same photo stored upright (turned by a viewer, losslessly)
    show the same pixels in other bytes and other rows: the second was taken as another
    certificate. A picture is read as shown."""
    from PIL import Image

    with Image.open(io.BytesIO(certificate_photo())) as photo:
        upright = photo.convert("RGB")
    orientation = Image.Exif()
    orientation[0x0112] = 6  # turn 90° clockwise to show
    turned = _png(upright.transpose(Image.Transpose.ROTATE_90), exif=orientation)
    assert same_certificate(_png(upright), turned)
    assert likeness(turned) == likeness(_png(upright))


def test_a_small_picture_of_forty_million_pixels_is_hashed_without_copies(tmp_path):
    """Resource abuse: a 12 KB PNG of 40 million pixels (a bit each) took 420 MB of a worker
    (the picture, its RGB copy and that copy's bytes). Hashed some rows at a time, it takes
    about what the picture itself holds (measured in a process of its own, read there: the
    portal reads it in a child of its own, bounded, ``likeness``)."""
    import subprocess
    import sys
    from pathlib import Path

    from PIL import Image

    from portal.same_certificate import PIXELS_AT_MOST

    side = int(PIXELS_AT_MOST ** 0.5)
    path = tmp_path / "big.png"
    Image.new("1", (side, side), 1).save(path, "PNG")
    assert path.stat().st_size < 20_000
    code = (
        "import resource, sys\n"
        "from portal.same_certificate import read_likeness as likeness\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "assert likeness(data).startswith('pixels:')\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    root = Path(__file__).resolve().parents[2]
    grown_mb = int(subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True,
                                  text=True, cwd=root, env={"PYTHONPATH": str(root)}).stdout)
    assert grown_mb < 150, grown_mb


def test_a_certificate_is_read_in_a_child_bounded_in_time(monkeypatch):
    """Resource abuse (review): what pypdf does not bound held a worker for seconds (a 2.5 MB PDF
    of ten fonts with character maps of 60,000 lines each: 2.6 s; 38 of them, 9.6 MB within the
    upload limit, 10 s and 600 MB). The portal reads a certificate in a child process stopped
    past ``READ_SECONDS`` (lowered here below what any file takes): no likeness, compared by
    its bytes; the worker goes on. Within the time, the child's answer is the reading's."""
    from portal import same_certificate as module

    photo = certificate_photo()
    assert likeness(photo) == module.read_likeness(photo) != ""
    monkeypatch.setattr(module, "READ_SECONDS", 0.001)
    assert likeness(photo) == ""


def test_a_certificate_read_on_a_busy_server_is_still_the_same_certificate(monkeypatch, tmp_path):
    """Flaky test, product cause: the child's bound was 2 s of the clock, its start included. On a
    busy server (a suite's run beside others) a PDF read in 0.1 s of CPU waited longer than that
    for a processor and had no likeness: the same certificate printed again was taken on a second
    declaration. The bound is the child's CPU time (``RLIMIT_CPU``), which waiting does not
    spend: a child that waits 2.5 s before it reads (as for a processor) gives the likeness."""
    import stat
    import sys

    from portal import same_certificate as module

    photo = certificate_photo()
    waiting = tmp_path / "python-waiting"
    waiting.write_text(f'#!/bin/sh\nsleep 2.5\nexec "{sys.executable}" "$@"\n')
    waiting.chmod(waiting.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(module.sys, "executable", str(waiting))
    assert likeness(photo) == module.read_likeness(photo) != ""


def test_a_child_spending_its_processor_time_is_stopped():
    """What bounds a hostile file (fonts' character maps pypdf does not bound: seconds of work)
    is the child's processor time: ``_child`` sets ``RLIMIT_CPU`` to the seconds it is given, and
    a child computing past them is stopped (SIGXCPU) long before the clock's backstop."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from portal import same_certificate as module

    endless = ("import sys; import portal.same_certificate as m; sys.argv[1:] = [str(1 << 30), '1']; "
               "m.read_likeness = lambda data: str(sum(iter(int, 1))); m._child()")  # computes for ever
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", endless], input=b"", capture_output=True, cwd=root,
                          env={"PYTHONPATH": str(root)}, timeout=module.READ_SECONDS)
    assert done.returncode in (-signal.SIGXCPU, -signal.SIGKILL) and done.stdout == b"", done


def test_a_certificate_is_read_in_a_child_bounded_in_memory(monkeypatch):
    """Past ``READ_MEMORY`` (lowered here below what a 40-million-pixel picture needs) the child
    is refused its memory and the file has no likeness; at the portal's bound it is read."""
    from PIL import Image

    from portal import same_certificate as module

    # the bound on memory is under test, not the one on time: reading 40 million pixels took
    # longer than READ_SECONDS on a machine running three suites at once, and read as ""
    monkeypatch.setattr(module, "READ_SECONDS", 60.0)
    side = int(module.PIXELS_AT_MOST ** 0.5)
    picture = io.BytesIO()
    Image.new("RGB", (side, side), (200, 190, 180)).save(picture, "PNG")  # 120 MB unpacked
    big = picture.getvalue()
    assert likeness(big).startswith("pixels:")
    monkeypatch.setattr(module, "READ_MEMORY", 64 << 20)
    assert likeness(big) == "" and likeness(certificate_photo()) != ""


def test_an_animated_png_is_read_as_a_browser_shows_it():
    """Attack (review): an animated PNG whose default image (never shown by a browser, which
    plays the animation) is any picture, and whose one frame is the certificate's pixels, was
    read by its default image: another certificate. It is read by the animation's first frame."""
    from PIL import Image

    with Image.open(io.BytesIO(certificate_photo())) as photo:
        upright = photo.convert("RGB")
    animated = io.BytesIO()
    Image.new("RGB", upright.size, (1, 2, 3)).save(animated, "PNG", save_all=True, append_images=[upright],
                                                    default_image=True)
    assert likeness(animated.getvalue()) == likeness(_png(upright)) != ""
    plain_animation = io.BytesIO()  # no default image: the first frame is shown and read
    upright.save(plain_animation, "PNG", save_all=True, append_images=[Image.new("RGB", upright.size)])
    assert likeness(plain_animation.getvalue()) == likeness(_png(upright))


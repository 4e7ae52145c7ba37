"""An uploaded photo is kept without where it was taken (``portal/upload_meta.py``)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Evidence
from portal.services import activities
from portal.upload_meta import without_metadata
from tests.support import factories as f
from tests.support.sessions import log_in

START = datetime(2026, 10, 15, 14, 0)
GPS_IFD = 0x8825
# 31°13'N 121°28'E: a place the photo's owner did not mean to tell
WHERE = {1: "N", 2: (31.0, 13.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}


def _photo(orientation: int | None = 6) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0xA431] = "SN-0042-7731"  # BodySerialNumber
    if orientation is not None:
        exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update(WHERE)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", exif=exif, comment=b"home study")
    return out.getvalue() + b"\xff\xd8\xff\xe1 second picture with its own GPS"  # MPF-like tail


def _png() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta><exif:GPSLatitude>31,13N</exif:GPSLatitude></x:xmpmeta>')
    info.add_text("Comment", "home study")
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 90, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue() + b"<script>tail</script>"


def _read(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def test_a_photo_loses_its_place_and_keeps_its_pixels_and_orientation():
    photo = _photo()
    assert _read(photo).getexif().get_ifd(GPS_IFD)  # the attack's premise: the photo tells where
    kept = without_metadata(".jpg", photo)
    picture = _read(kept)
    exif = picture.getexif()
    assert not exif.get_ifd(GPS_IFD) and 0x010F not in exif and b"PhoneMaker" not in kept
    assert b"SN-0042" not in kept and b"home study" not in kept and b"second picture" not in kept
    assert exif[0x0112] == 6  # still shown upright
    assert picture.tobytes() == _read(photo).tobytes()  # not re-encoded
    assert without_metadata(".jpg", kept) == kept  # once is enough: the same photo keeps the same bytes
    assert 0x0112 not in _read(without_metadata(".jpeg", _photo(orientation=None))).getexif()


def test_a_png_loses_its_text_chunks():
    png = _png()
    kept = without_metadata(".png", png)
    assert b"GPSLatitude" not in kept and b"home study" not in kept and b"<script>" not in kept
    assert _read(kept).tobytes() == _read(png).tobytes()


@pytest.mark.parametrize("data", [b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_a_file_that_cannot_be_walked_is_kept_as_it_came(data):
    assert without_metadata(".jpg" if data[0] == 0xFF else ".png", data) == data
    assert without_metadata(".pdf", b"%PDF-1.4 GPS") == b"%PDF-1.4 GPS"


def test_evidence_photo_is_stored_and_served_without_its_place(app, client):
    """Attack: a teacher's photo of a lesson study at home, uploaded as evidence, was stored and
    served byte for byte: the organizer (or anyone with a reviewer's password) downloading it read
    the GPS position of the teacher's home, the phone's serial number and a second picture after
    the first. It is kept without them, on the page and through the API; the same photo again
    is the same stored bytes."""
    s = f.school()
    p = f.staff(s)
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "阅读"}, start=START)
    db.session.commit()
    log_in(client, p["t1"], s.id)
    photo = _photo()
    before = db.session.scalar(select(func.count()).select_from(Evidence))
    r = client.post(f"/activities/{act.id}/evidence", data={
        "kind": "attachment", "title": "现场照片", "file": (io.BytesIO(photo), "现场.jpg")})
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    ev = db.session.execute(select(Evidence).where(Evidence.activity_id == act.id)).scalar_one()
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == before + 1
    stored = activities.stored_bytes(ev.stored_name)
    assert stored is not None and ev.size == len(stored) and not _read(stored).getexif().get_ifd(GPS_IFD)
    log_in(client, p["organizer"], s.id)
    served = client.get(f"/evidence/{ev.id}").data
    assert served == stored and b"SN-0042" not in served

"""A declaration a reviewer approved at 0 h (with the reason) and credited is on the teacher's
record: an auditor expects every credited activity there, with 0 h and its reason. The ledger
skipped every 0 h credit, so the record page, its PDF, the API and the summary had nothing of it.
Now a reviewer's 0 h (an adjustment, with its reason) is a ledger line of 0 h — one absent all
along, whom nobody decided about, stays off the ledger (their absence is on the record) — and
every surface reads it from there; the totals do not move."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.models import CreditEntry
from portal.services import tokens
from tests.plugins.test_declared_hours import certificate, declare, s1, staff  # noqa: F401
from tests.support import factories as f
from tests.support.sessions import log_in

WHY = "证书未注明学时，不予计入"


def test_a_declaration_credited_at_0_hours_is_a_line_of_the_record_everywhere(app, s1, staff):  # noqa: F811
    t1, rev = staff["t1"], staff["reviewer"]
    zero = declare(s1, t1, hours="3", title="网络课程：作业设计")
    certificate(zero, t1, data=b"%PDF-1.4 zero")
    f.fire(zero, t1, "hold")
    f.fire(zero, rev, "approve", WHY, hours={str(t1.id): "0"})
    f.fire(zero, rev, "credit")
    kept = declare(s1, t1, hours="2", title="区级骨干教师培训")
    certificate(kept, t1, data=b"%PDF-1.4 kept")
    f.fire(kept, t1, "hold")
    f.fire(kept, rev, "approve", "")
    f.fire(kept, rev, "credit")
    lines = db.session.execute(select(CreditEntry.activity_id, CreditEntry.hours, CreditEntry.reason)
                               .where(CreditEntry.user_id == t1.id).order_by(CreditEntry.id)).all()
    assert [tuple(line) for line in lines] == [(zero.id, Decimal("0.0"), WHY), (kept.id, Decimal("2.0"), "")]
    year, token = zero.school_year, tokens.issue(t1).token
    db.session.commit()

    client = app.test_client()
    log_in(client, t1, s1.id)
    page = client.get(f"/teachers/{t1.id}/record?year={year}").get_data(as_text=True)
    assert "网络课程：作业设计" in page and WHY in page
    pdf = client.get(f"/teachers/{t1.id}/record.pdf?year={year}")
    assert pdf.status_code == 200, pdf.status_code
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "网络课程：作业设计" in text and WHY in text
    api = app.test_client().get(f"/api/v1/users/{t1.id}/credits?year={year}",
                                headers={"Authorization": f"Bearer {token}", "X-School": "S1"})
    body = api.get_json()
    assert api.status_code == 200, body
    assert [(e["activity_id"], e["hours"], e["reason"]) for e in body["entries"]] == [(zero.id, 0.0, WHY),
                                                                                       (kept.id, 2.0, "")]
    assert body["total_hours"] == 2.0, body  # the 0 h line adds nothing


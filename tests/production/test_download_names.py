"""Every download names its file in a header a server can send: HTTP headers are Latin-1, and a
school code may be Chinese (``create_school`` accepts any letters). The summary once sent
``filename="summary-实验一小-….csv"`` — gunicorn and Werkzeug's server cannot encode it, so the
download failed for such a school — and the audit export dropped the code from its name."""

from __future__ import annotations

from urllib.parse import quote

from portal.services import schools
from tests.production.helpers import login_as
from tests.support import factories as f


def test_download_names_with_a_chinese_school_code_are_latin1_with_the_utf8_name(app):
    s = schools.create_school("实验一小", "实验第一小学")
    admin = f.person(s, "syadm", "school_admin", "teacher", name="管理")
    c = login_as(app.test_client(), admin, s.id)
    for path, name in (("/reports/summary.csv", "summary-实验一小-"), ("/reports/summary.xlsx", "summary-实验一小-"),
                       ("/admin/audit.csv", "audit-transitions-实验一小")):
        r = c.get(path)
        assert r.status_code == 200, path
        disposition = r.headers["Content-Disposition"]
        disposition.encode("latin-1")  # what a server writes
        assert disposition.startswith("attachment; filename=\"") and f"filename*=UTF-8''{quote(name)}" in disposition

"""An export's size is the size of what it writes: the district's 学时汇总表 has a row per
school and teacher, so a teacher of two schools is two rows, and the threshold that sends a
big export to the worker (``EXPORT_JOB_THRESHOLD``) is asked of that number."""

from __future__ import annotations

import csv
import io

from portal.reports import exports
from portal.services import export_jobs
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.support import factories as f


def _data_rows(rows) -> int:
    return len(list(rows)) - 1  # less the header


def test_a_teacher_of_two_schools_is_two_rows_of_the_district_summary_and_its_count(app, world):
    both = world.staff["t1"]
    f.person(world.s2, both.username, "teacher")  # credited at S1, teaching at S2 too
    written = _data_rows(exports.district_rows(YEAR, "zh", world.d1.id))
    lines = [row for row in exports.district_rows(YEAR, "zh", world.d1.id) if row[3:4] == [both.username]]
    assert [row[0] for row in lines] == ["S1", "S2"]
    assert export_jobs.count_rows("district_summary", YEAR, district_id=world.d1.id) == written
    every = _data_rows(exports.district_rows(YEAR, "zh"))  # every district's, at the command line
    assert export_jobs.count_rows("district_summary", YEAR) == every > written
    for s in (world.s1, world.s2):
        assert export_jobs.count_rows("school_summary", YEAR, school_id=s.id) == _data_rows(
            exports.summary_rows(s, YEAR))


def test_the_district_export_is_direct_at_its_row_count_and_a_job_above_it(app, world):
    f.person(world.s2, world.staff["t1"].username, "teacher")
    district = login(app.test_client(), world.reviewer1)
    url = f"/district/export.csv?year={YEAR}"
    app.config["EXPORT_JOB_THRESHOLD"] = 10**9
    rows = len(list(csv.reader(io.StringIO(district.get(url).get_data(as_text=True).lstrip("\ufeff"))))) - 1
    app.config["EXPORT_JOB_THRESHOLD"] = rows
    assert district.get(url).status_code == 200
    app.config["EXPORT_JOB_THRESHOLD"] = rows - 1
    queued = district.get(url)
    assert queued.status_code == 303 and "/exports/" in queued.headers["Location"]

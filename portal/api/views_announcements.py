"""The district's announced deadlines in the API: district staff read them, the district admin
announces, changes and withdraws them (in their own district: another district's is 404,
before the body is read)."""

from __future__ import annotations

from flask import Response

from portal import policy
from portal.api.blueprint import bp
from portal.api.context import parsed
from portal.api.models_announcements import DeadlineBody, DeadlineOut, Deadlines
from portal.api.openapi import operation
from portal.api.views_district import _actor, _seat, _viewer
from portal.errors import NotFound
from portal.messages import msg
from portal.security import MAX_ID
from portal.services import access, announcements

TAG = "district"


def _announcer() -> access.DistrictSeat:
    seat = _seat()
    policy.require(policy.may_announce_deadlines(_actor(seat)), "policy.district_admin_only")
    return seat


def _announcement(announcement_id: int) -> None:
    seat = _announcer()
    if announcement_id > MAX_ID:
        raise NotFound(msg("announcement.not_found"))
    announcements.get(announcement_id, seat.district_id)


@bp.get("/district/deadlines")
@operation(200, Deadlines, "Deadlines from today on, soonest first", tag=TAG, school=False, errors=(403,),
           finds=_viewer)
def district_deadlines() -> Deadlines:
    """The deadlines the district announced to its schools, from today on (district staff)"""
    seat = _viewer()
    rows = announcements.of_district(seat.district_id, announcements.district_today())
    return Deadlines(items=[DeadlineOut.of(r) for r in rows])


@bp.post("/district/deadlines")
@operation(201, DeadlineOut, "The deadline", json=DeadlineBody, tag=TAG, school=False, errors=(403,),
           finds=_announcer, may=policy.may_announce_deadlines)
def district_announce() -> tuple[DeadlineOut, int]:
    """Announce a deadline to the school admins or all staff of the district's schools (district admin)

    Everyone it concerns is notified now, and 7 and 1 days before the day."""
    seat = _announcer()
    data = parsed(DeadlineBody)
    row = announcements.announce(seat.district_id, data.title, data.due_on, data.note, data.audience,
                                 by=_actor(seat))
    return DeadlineOut.of(row), 201


@bp.put("/district/deadlines/<int:announcement_id>")
@operation(200, DeadlineOut, "The deadline", json=DeadlineBody, tag=TAG, school=False, errors=(403,),
           finds=_announcement, may=policy.may_announce_deadlines)
def district_deadline_update(announcement_id: int) -> DeadlineOut:
    """Change an announced deadline (district admin)"""
    seat = _announcer()
    data = parsed(DeadlineBody)
    row = announcements.update(announcement_id, data.title, data.due_on, data.note, data.audience,
                               by=_actor(seat), district_id=seat.district_id)
    return DeadlineOut.of(row)


@bp.delete("/district/deadlines/<int:announcement_id>")
@operation(204, None, "No content", tag=TAG, school=False, errors=(403,), finds=_announcement, may=policy.may_announce_deadlines)
def district_deadline_delete(announcement_id: int) -> Response:
    """Withdraw an announced deadline (district admin)"""
    seat = _announcer()
    announcements.remove(announcement_id, by=_actor(seat), district_id=seat.district_id)
    return Response(status=204)


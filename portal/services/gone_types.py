"""Activity types the database still names that no installed plugin declares.

A type's plugin removed (or switched off) leaves its activities, ledger lines, plan lines and
school switches behind under the type's key. Pages name such a type 「已停用的活动类型」
(:class:`portal.registry.TypeNames`), never by its key; when the deployment holds more than
one, each is numbered by its place in this list, so two on one page stay apart and the same
type is numbered alike on every page.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, union

from portal.extensions import db
from portal.models import Activity, CreditEntry, SchoolActivityType, SchoolPlanLine


def stored_not_installed(installed: Collection[str]) -> list[str]:
    """The type keys any stored row holds that are not in ``installed``, in key order (one
    statement; asked once per app, :meth:`portal.registry.TypeRegistry.gone_number`)."""
    keys = union(*(select(col).where(col.notin_(list(installed))).distinct()
                   for col in (Activity.type_key, CreditEntry.type_key, SchoolActivityType.type_key,
                               SchoolPlanLine.type_key)))
    return sorted({str(k) for k in db.session.execute(keys).scalars()})

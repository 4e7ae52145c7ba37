"""The domain model. Every table has a ``school_id`` path so queries can be scoped to a school."""

from portal.models.activity import Activity, Evidence, Participation
from portal.models.ledger import CreditEntry, TransitionLog
from portal.models.school import School, SchoolActivityType
from portal.models.security import ApiToken, LoginAttempt
from portal.models.user import ROLES, SCHOOL_ROLES, Exemption, Membership, User
from portal.models.year import DevelopmentPlan, GroupMember, Signup, SignupWindow, TeachingGroup

__all__ = [
    "ROLES",
    "SCHOOL_ROLES",
    "Activity",
    "ApiToken",
    "CreditEntry",
    "DevelopmentPlan",
    "Evidence",
    "Exemption",
    "GroupMember",
    "LoginAttempt",
    "Membership",
    "Participation",
    "School",
    "SchoolActivityType",
    "Signup",
    "SignupWindow",
    "TeachingGroup",
    "TransitionLog",
    "User",
]

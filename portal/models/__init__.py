"""The domain model. Every table has a ``school_id`` path so queries can be scoped to a school."""

from portal.models.activity import Activity, Evidence, Participation
from portal.models.checkin import CalendarFeed, CheckIn, ExportJob
from portal.models.correction import CorrectionRequest
from portal.models.district import (
    DeadlineAnnouncement,
    District,
    SchoolPlan,
    SchoolPlanLine,
    SchoolPlanWriter,
    SubmissionEvent,
    YearLock,
    YearSubmission,
)
from portal.models.document import IssuedDocument
from portal.models.ledger import CreditEntry, TransitionLog
from portal.models.notification import Notification, NotificationDelivery, NotificationSetting
from portal.models.outbox import OutboxJob
from portal.models.school import School, SchoolActivityType, SchoolChange
from portal.models.security import ApiToken, LoginAttempt
from portal.models.teacher_year import SchoolYearTypeHours, TeacherYearRow
from portal.models.user import (
    DISTRICT_ADMIN,
    DISTRICT_REVIEWER,
    DISTRICT_ROLES,
    ORGANIZER,
    REVIEWER,
    ROLES,
    SCHOOL_ADMIN,
    SCHOOL_ROLES,
    TEACHER,
    EarlierStint,
    Exemption,
    Membership,
    StaffChange,
    User,
)
from portal.models.writing import OwnWriting
from portal.models.year import DevelopmentPlan, GroupMember, Signup, SignupWindow, TeachingGroup

__all__ = [
    "DISTRICT_ADMIN",
    "DISTRICT_REVIEWER",
    "DISTRICT_ROLES",
    "ORGANIZER",
    "REVIEWER",
    "SCHOOL_ADMIN",
    "TEACHER",
    "ROLES",
    "SCHOOL_ROLES",
    "Activity",
    "ApiToken",
    "CalendarFeed",
    "CheckIn",
    "CorrectionRequest",
    "CreditEntry",
    "DeadlineAnnouncement",
    "DevelopmentPlan",
    "District",
    "EarlierStint",
    "Evidence",
    "Exemption",
    "GroupMember",
    "IssuedDocument",
    "ExportJob",
    "LoginAttempt",
    "Membership",
    "Notification",
    "NotificationDelivery",
    "NotificationSetting",
    "OutboxJob",
    "OwnWriting",
    "Participation",
    "SchoolPlanLine",
    "SchoolPlanWriter",
    "School",
    "SchoolActivityType",
    "SchoolChange",
    "SchoolPlan",
    "SubmissionEvent",
    "SchoolYearTypeHours",
    "TeacherYearRow",
    "Signup",
    "StaffChange",
    "SignupWindow",
    "TeachingGroup",
    "TransitionLog",
    "User",
    "YearLock",
    "YearSubmission",
]

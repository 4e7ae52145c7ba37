"""What a person reads when something is refused: one catalogue of message codes.

A service refuses with a code and parameters — ``Invalid(msg("hours.above_rule_max", max="4"))``
— never with a sentence. The code's English text below is the gettext msgid; its Chinese lives
in ``translations/zh_Hans_CN`` like every other text of the portal. Pages show a message in the
viewer's language (:func:`tr`), the API in the language ``Accept-Language`` asks for (English by
default), exports and the CLI in the language they are given (``force_locale``).

``tests/core/test_messages.py`` proves that every code has both texts and that the Chinese pages
show no English service message. Plugins keep their labels and guard messages as
:class:`portal.activity_types.Text` (zh/en pairs), which :func:`tr` renders the same way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal.i18n import gettext, lang_code

#: code → English text (the msgid); ``%(name)s`` placeholders take the parameters.
TEXTS: dict[str, Any] = {
    # -- generic -------------------------------------------------------------------------
    "forbidden": _l("you may not do this"),
    "must_be_integer": _l("must be an integer"),
    "must_be_object": _l("must be an object"),
    "must_be_bool": _l("must be true or false"),
    "must_be_whole": _l("must be a whole number"),
    "at_most_chars": _l("at most %(n)s characters"),
    "between_chars": _l("%(low)s to %(high)s characters"),
    "number_between": _l("must be a number from %(low)s to %(high)s"),
    "number_at_least": _l("must be at least %(low)s"),
    "number_at_most": _l("must be at most %(high)s"),
    "unknown_role": _l("unknown role"),
    "roles_are": _l("roles are %(roles)s"),
    # -- who may do what -------------------------------------------------------------------
    "policy.admin_only": _l("only a school admin may change this"),
    "policy.exempt_admin_only": _l("only a school admin may exempt a teacher"),
    "policy.plan": _l("only an organizer or a school admin may plan"),
    "policy.organise": _l("only the activity's organizer or a school admin may do this"),
    "policy.own_evidence": _l("you may only add your own evidence"),
    "policy.evidence_left_school": _l(
        "you no longer hold a role in this school: its activities' evidence is no longer yours to add"
    ),
    "policy.not_self": _l("nobody may decide about their own hours; another school admin must do this"),
    "policy.own_activity": _l("You organized or took part in this activity: another reviewer must review it."),
    "policy.handed_in": _l("You handed in evidence for this declaration: another reviewer or school admin must "
                           "decide it."),
    "policy.read_record": _l("only the teacher, a reviewer, a school admin or the district may read this record"),
    "policy.requires_role": _l("requires role: %(roles)s"),
    "policy.district_only": _l("only the district may do this"),
    "policy.submit_admin_only": _l("only a school admin may submit the school year to the district"),
    "policy.decide_submission": _l("only a district reviewer may accept or return a submission"),
    "policy.reopen_year": _l("only the district may reopen an accepted school year"),
    "policy.repair_credits": _l("only district staff may reverse credits of activities held while a teacher was away"),
    "policy.repair_own_credits": _l(
        "%(name)s is among the teachers whose credits this repair reverses: nobody reverses their own credits; "
        "another district staff member must run it"
    ),
    "policy.district_admin_only": _l("only the district admin may do this"),
    "policy.organiser_no_more": _l(
        "you no longer hold a role that lets you organize activities in this school; a school admin can hand this "
        "activity over to another organizer"
    ),
    "policy.hand_over": _l("only a school admin may hand an activity over to another organizer"),
    # -- handing an activity over ----------------------------------------------------------------
    "handover.refused": _l("the activity was not handed over"),
    "handover.not_member": _l("choose a member of this school"),
    "handover.no_role": _l("this person holds no role that lets them organize activities here"),
    "handover.same": _l("this person organizes the activity already"),
    "handover.declared": _l("a teacher's own declaration stays with them: it is not handed over"),
    "handover.finished": _l("the activity is %(state)s: it is no longer handed over"),
    "handover.step": _l("Handed over to another organizer"),
    # -- the database not set up for this code ---------------------------------------------------
    "db.upgrade_first": _l(
        "the database has not been set up or upgraded for this version of the portal: run 'flask db upgrade' first"
    ),
    "db.unreachable": _l("cannot connect to the database (DATABASE_URL): %(reason)s"),
    "db.not_ready": _l(
        "The portal's database has not been set up or upgraded for this version yet. Nothing was changed; "
        "please tell the system administrator."
    ),
    # -- a start or a command refused (said in one line, Chinese then English: operator_line) ------
    "start.pending_migrations": _l(
        "the database has not run %(n)s migration(s) of this release (%(revisions)s): run 'flask --app wsgi db "
        "upgrade' first"
    ),
    "start.newer_database": _l(
        "the database was upgraded by a newer release (revision %(revisions)s, unknown to this code): install that "
        "release again, or restore the backup made before upgrading (README, Upgrading)"
    ),
    "cli.newer_database": _l(
        "the database was upgraded by a newer release (revision %(revisions)s, unknown to this code): this command "
        "did not run. Install that release again, or restore the backup made before upgrading (README, Upgrading); "
        "the 'flask db' commands still run"
    ),
    "cli.jobs_immediate": _l("JOBS_IMMEDIATE is on: jobs already run in the web process; no worker needed"),
    "start.instance_folder": _l(
        "the instance folder %(folder)s (YANXIU_INSTANCE_PATH) cannot be made: %(reason)s"
    ),
    "start.unknown_setting": _l(
        "unknown setting %(env)s: did you mean %(meant)s? (README, Configuration: the settings the portal reads)"
    ),
    "start.number_between": _l("%(setting)s=%(value)s: a whole number, %(low)s to %(high)s"),
    "start.number_at_least": _l("%(setting)s=%(value)s: a whole number, %(low)s or more"),
    "start.yanxiu_env": _l("YANXIU_ENV=%(value)s: production, or development (or unset)"),
    "start.upload_folder": _l("the upload folder %(folder)s (YANXIU_UPLOAD_FOLDER) cannot be made: %(reason)s"),
    "start.upload_not_writable": _l("the upload folder %(folder)s (YANXIU_UPLOAD_FOLDER) is not writable by the portal"),
    "start.time_zone": _l("%(setting)s=%(value)s: a time zone such as %(zone)s"),
    "start.database_url": _l(
        "DATABASE_URL is not a database address: postgresql://USER:PASSWORD@HOST:5432/NAME or sqlite:////path/to/yanxiu.db"
    ),
    "start.database_backend": _l("DATABASE_URL names a %(backend)s database: the portal runs on PostgreSQL or SQLite"),
    "start.sqlite_folder": _l("DATABASE_URL: the folder %(folder)s of the SQLite database does not exist"),
    "start.secret_key": _l("YANXIU_ENV=production needs SECRET_KEY from the environment (16+ random characters)"),
    "start.debug": _l(
        "YANXIU_ENV=production refuses debug mode (FLASK_DEBUG=1, flask --debug or DEBUG in instance/config.py): it "
        "shows tracebacks and the interactive debugger to anyone; unset it"
    ),
    "start.public_url_needed": _l(
        "YANXIU_ENV=production needs YANXIU_PUBLIC_URL, the address people reach the portal at "
        "(https://yanxiu.example.edu.cn): the links in certificates, QR codes, calendar feeds and email are built "
        "from it, never from a request's Host header"
    ),
    "start.public_url_password": _l(
        "YANXIU_PUBLIC_URL holds a user name or password, which every certificate's QR code and every link would "
        "print: give the address alone, such as https://yanxiu.example.edu.cn"
    ),
    "start.public_url": _l(
        "YANXIU_PUBLIC_URL=%(value)s: the address people reach the portal at, such as https://yanxiu.example.edu.cn"
    ),
    "start.job_queue_sqlite": _l("the job queue %(path)s (YANXIU_JOBS_SQLITE_PATH) cannot be opened: %(reason)s"),
    "start.job_queue_redis": _l("JOBS_STORAGE=redis needs JOBS_REDIS_URL (YANXIU_JOBS_REDIS_URL)"),
    "start.job_storage": _l("JOBS_STORAGE=%(value)s: use sqlite, redis or memory"),
    "start.page_cache": _l(
        "page cache: CACHE_TYPE=%(type)s with CACHE_DIR=%(folder)s cannot be used (%(reason)s). Set YANXIU_CACHE_TYPE "
        "to a Flask-Caching backend (FileSystemCache, RedisCache, NullCache…) and YANXIU_CACHE_DIR to a writable "
        "folder."
    ),
    # -- the year submitted to the district, and its lock ----------------------------------------
    # %(year)s (and credit.year_over's %(first)s), here and in the submission's, the plan's and the
    # exemption's refusals: a SchoolYear said within the sentence ("the 2026–2027 school year",
    # 2026—2027学年), never the year as data
    "credit.year_over": _l("%(year)s is over: hours are credited only in this school year and the last one, "
                           "from %(first)s"),
    "year.locked": _l(
        "%(year)s was accepted by the district and is locked; ask the district to reopen it"
    ),
    "year.joined_after_acceptance": _l(
        "the district accepted %(year)s before this teacher joined the school: it is not "
        "their year here, and no certificate of its hours is issued"
    ),
    "year.joined_after_year": _l(
        "this teacher was not on the school's staff when %(year)s was over, and nothing of it is "
        "recorded for them: it is not their year here, and no certificate of its hours is issued"
    ),
    # a year not on the record (credits.years_on_record, credits.on_record): no form of it is issued
    "year.not_on_record": _l(
        "%(year)s is not on this teacher's training record here (the school recorded nothing of that year, or "
        "nothing of it counts for them and they are not on its teaching staff): no certificate of its hours is issued"
    ),
    "year.school_not_on_record": _l(
        "the school recorded nothing of %(year)s: it is on no teacher's training record, and no summary of it is issued"
    ),
    # a year not begun (credits.year_begun): on no record yet, whatever is planned or set for it
    "year.not_begun": _l("%(year)s has not begun: it is on no training record yet, and no form of it is issued"),
    "submission.not_found": _l("submission not found"),
    "submission.pending": _l("%(year)s is already submitted and waits for the district"),
    "submission.already_accepted": _l("%(year)s was accepted by the district and is locked"),
    "submission.not_begun": _l("%(year)s has not begun: it is submitted from %(day)s (school time)"),
    "submission.semester_not_begun": _l(
        "the %(semester)s of %(year)s has not begun: it is submitted from %(day)s (school time)"),
    # a year over that the school recorded nothing of (credits.years_on_record): no teacher's year to send
    "submission.not_on_record": _l(
        "the school recorded nothing of %(year)s: it is on no teacher's training record, and there is nothing of it "
        "to submit"
    ),
    "submission.not_pending": _l("this submission is not waiting for a decision"),
    "submission.changed": _l(
        "the school's figures of %(year)s changed since it submitted them (teachers concerned: %(teachers)s): "
        "return the submission so that the school submits them again"
    ),
    "submission.own_year": _l(
        "you work at this school, submitted its year or have hours in it: a district reviewer from outside the school"
        " must decide it"
    ),
    "submission.school_left": _l(
        "this school has left your district: its year is no longer yours to accept, return or reopen"
        " (the district it is in now reopens an accepted year)"
    ),
    "school.move_pending": _l(
        "the school's submission of %(year)s waits for its district's decision: have the district accept or return it"
        " before the school moves to another district"
    ),
    "submission.not_accepted": _l("only an accepted school year can be reopened"),
    "submission.comment_required": _l("say what the school must correct: a comment for the school or a teacher"),
    "submission.reason_required": _l("a reason is required to reopen a school year"),
    "submission.period_year": _l("the district collects whole school years: submit without a semester"),
    "submission.period_semester": _l("the district collects semesters: choose semester 1 or 2"),
    "submission.semester_field": _l("1 or 2"),
    "submission.semester_invalid": _l("not a semester: '%(semester)s' (1 or 2, or none for the whole year)"),
    "submission.teacher_unknown": _l("teacher %(user)s is not in this submission"),
    "submission.decision_invalid": _l("the decision could not be recorded"),
    "submission.status_invalid": _l("the list of submissions has no such state: '%(status)s'"),
    "submission.status_field": _l("one of %(statuses)s"),
    "district.not_found": _l("district not found"),
    "school_plan.invalid": _l("the plan could not be saved"),
    "school_plan.lines_invalid": _l("some planned activities are not valid"),
    "school_plan.lines_list": _l("a list of at most %(n)s planned activities"),
    "school_plan.month": _l("a month from 1 to 12"),
    "school_plan.not_editable": _l("the plan was sent to the district and cannot be changed now"),
    "school_plan.not_found": _l("no plan for this school year yet"),
    "school_plan.own_school": _l(
        "you work at this school or wrote its plan: district staff from outside the school must decide it"),
    "school_plan.empty": _l("plan at least one activity before sending the plan"),
    "school_plan.line_not_found": _l("no such line in this school's annual plan"),
    "school_plan.line_type": _l("this line of the plan is for another activity type"),
    "school_plan.line_year": _l("this line of the plan is for %(year)s: choose a date in it"),
    "rules.below_district": _l("the district requires at least %(n)s; a school may raise it, not lower it"),
    "rules.above_district": _l("the district's limit is %(n)s; a school may lower it, not raise it"),
    "rules.asks_nothing": _l(
        "must be at least %(n)s hours, unless the writing quotas decide the year and ask for some writing: "
        "a year must ask something of its teachers"),
    "rules.warning_not_below_limit": _l(
        "must be below the absence at which the year is not recognised (%(n)s hours), or 0 for no warning"),
    "district.settings_invalid": _l("the district's settings could not be saved"),
    "district.period": _l("year or semester"),
    "district.deadline": _l("a date of the year such as 06-30"),
    "district.setting_unknown": _l("unknown setting"),
    "district.invalid": _l("invalid district"),
    "district.code_taken": _l("a district with code %(code)s exists"),
    "school.invalid": _l("invalid school"),
    "cli.birth_date": _l("a date from %(low)s to %(high)s such as 1970-05-01"),
    "cli.district_roles_only": _l("--district places district roles (district_admin, district_reviewer); "
                                  "a school's staff belong to their school's district"),
    "cli.school_roles_only": _l("--school places school roles; district roles (district_admin, district_reviewer) "
                                "are held in a district (--district, or the default district without it)"),
    "school.name_length": _l("a name of 1–200 characters is required"),
    "school.timezone_unknown": _l("unknown time zone %(timezone)s"),
    "school.code_taken": _l("a school with code %(code)s exists"),
    "announcement.invalid": _l("the deadline could not be saved"),
    "announcement.date": _l("a date such as 2027-06-30"),
    "announcement.past": _l("the day has passed: choose %(today)s or later"),
    "announcement.audience": _l("the school admins or all staff"),
    "announcement.not_found": _l("deadline not found"),
    "auth.login_required": _l("Please sign in to see this page."),
    "auth.no_role_left": _l(
        "Your account no longer holds a role in any school or district, so you have been signed out. "
        "If this is a mistake, ask your school admin."
    ),
    # -- lookups -------------------------------------------------------------------------------
    "activity.not_found": _l("activity not found"),
    "user.not_found": _l("user not found"),
    "school.not_found": _l("school not found"),
    "school.no_code": _l("no school with code '%(code)s'"),
    "district.no_code": _l("no district with code '%(code)s'"),
    "participant.not_found": _l("participant not found"),
    "type.unknown": _l("unknown activity type '%(key)s'"),
    "type.unknown_field": _l("unknown activity type"),
    "type.not_enabled": _l("activity type %(key)s is not enabled for this school"),
    "type.not_enabled_field": _l("not enabled"),
    "type.not_installed": _l("this activity's type is no longer installed; the activity is read-only"),
    "type.uninstalled_name": _l("discontinued activity type"),
    "type.uninstalled_name_n": _l("discontinued activity type (%(n)s)"),
    # a role, evidence kind, state or step no installed declaration names: words, never its key;
    # ``gone_name`` when its type's plugin is not installed, ``unknown_name`` when its installed
    # type no longer declares it
    "role.gone_name": _l("Role of a discontinued type"),
    "role.unknown_name": _l("Discontinued role"),
    "kind.gone_name": _l("Material of a discontinued type"),
    "kind.unknown_name": _l("Discontinued evidence kind"),
    "state.gone_name": _l("State of a discontinued type"),
    "state.unknown_name": _l("Discontinued state"),
    "step.gone_name": _l("Step of a discontinued type"),
    "step.unknown_name": _l("Discontinued step"),
    # a plugin's code failed: the reader is told the activity type's name (``type``, in their
    # language), never the plugin's entry-point name (a code; the log and /admin/plugins have it)
    "plugin.data_failed": _l("the plugin of activity type '%(type)s' could not supply the data this step needs; "
                             "the error has been logged and nothing was changed"),
    "plugin.guard_failed": _l("the plugin of activity type '%(type)s' could not check this step; "
                              "the error has been logged and nothing was changed"),
    "plugin.step_failed": _l("the plugin of activity type '%(type)s' failed while this step was taken; "
                             "the error has been logged and nothing was changed"),
    "plugin.step_failed_untyped": _l("a plugin failed while this step was taken; "
                                     "the error has been logged and nothing was changed"),
    "plugin.page_failed": _l("this page, which a plugin provides, failed; the error has been logged"),
    "plugin.preview_failed": _l("the plugin of activity type '%(type)s' could not work out the hours shown here; "
                                "the error has been logged, and the steps that need them are refused until it is fixed"),
    "plugin.preview_failed_untyped": _l("a plugin could not work out the hours shown here; the error has been "
                                        "logged, and the steps that need them are refused until it is fixed"),
    "plugin.fragment_failed": _l("The plugin of activity type '%(type)s' could not show its part of this page. "
                                 "The error has been logged."),
    "plugin.form_failed": _l("The plugin of activity type '%(type)s' could not show the type's own fields; the "
                             "error has been logged. Until it is fixed, activities of this type cannot be saved "
                             "on this page."),
    # -- planning ------------------------------------------------------------------------------
    "plan.refused": _l("the activity could not be planned"),
    "plan.title": _l("a title of 1–%(n)s characters is required"),
    "plan.end_before_start": _l("must not be before the start"),
    "plan.hours_zero": _l("must be more than 0"),
    "plan.hours_above_length": _l(
        "at most %(n)s hours: the activity lasts %(length)s, and an hour of training is at least a 45-minute lesson"
    ),
    "plan.year_over": _l("%(year)s is over: an activity starts in this school year or the last one, "
                         "from %(day)s"),
    "plan.other_semester": _l("must be in the same semester as the start: the %(semester)s of %(year)s ends on %(date)s"),
    "duration.hours_minutes": _l("%(h)s h %(m)s min"),
    "plan.hours_role_above_most": _l(
        "at most %(n)s hours: the role %(role)s would be credited more than %(most)s hours, the most a record holds"
    ),
    # who is not a member, in words: by name whom the school knew, anyone else without a name or id
    "plan.not_member": _l("%(name)s is no longer a member of this school"),
    "plan.not_member_at": _l("#%(n)s: not a member of this school"),
    "plan.not_member_someone": _l("someone chosen is not a member of this school"),
    "plan.organizer_not_member": _l("not a member of this school"),
    "participants.invalid": _l("invalid participants"),
    "participants.not_list": _l("participants must be a list"),
    "participants.shape": _l("#%(n)s: expected {user_id, role}"),
    "participants.user_id": _l("#%(n)s: user_id must be an integer"),
    "participants.role": _l("#%(n)s: not a role of this type of activity; its roles are %(roles)s"),
    "participants.role_refused": _l("the role was not changed"),
    "participants.role_one": _l("not a role of this type of activity; its roles are %(roles)s"),
    "participants.twice": _l("#%(n)s: listed twice"),
    "participants.twice_named": _l("%(name)s is listed twice"),
    "participants.has_evidence": _l("this participant has evidence; keep them and record their absence instead"),
    "participants.none": _l("choose at least one person"),
    "participants.own_place": _l("you are put on this activity's list, or given another role on it, by its organiser or "
                                 "another school admin: a role decides the hours"),
    "participants.checked_in": _l("this participant checked in; keep them and record their attendance or absence instead"),
    "participants.has_record": _l("this participant's attendance is recorded; keep them and record their absence instead"),
    "participants.role_recorded": _l("%(name)s's attendance is recorded with their role: the role no longer changes"),
    "participants.away": _l("%(name)s is not on the school's teaching staff when the activity is held: it is not theirs"),
    "reschedule.away": _l("not on the school's teaching staff at the new time, so it would not be theirs: %(names)s; "
                          "take them off the list first, or choose another time"),
    "details.must_be_object": _l("must be an object"),
    # -- the teacher's year: groups, sign-up, personal plans ---------------------------------
    "policy.groups": _l("only a school admin may manage teaching groups"),
    "policy.sign_up": _l("only a teacher of this school may sign up"),
    "policy.sign_up_own": _l("you organise this activity: to take part, add yourself to its participants"),
    "policy.run_signup": _l("only the activity's organizer or a school admin may run its sign-up"),
    "policy.write_plan": _l("a personal plan is written by the teacher themself"),
    "policy.read_plan": _l("only the teacher, a reviewer, a school admin or the district may read this plan"),
    "policy.decide_plan": _l("a school admin or a reviewer signs off a plan, never its own teacher"),
    "group.not_found": _l("teaching group not found"),
    "group.refused": _l("the teaching group was not saved"),
    "group.name": _l("a name of 1–%(n)s characters is required"),
    "group.name_taken": _l("the school already has a group named %(name)s"),
    "group.leader_not_organizer": _l("the leader must hold the organizer role (give it on the staff page)"),
    "group.members_list": _l("members must be a list of user ids"),
    "group.person_refused": _l("the groups were not changed"),
    "group.ids_list": _l("groups must be a list of teaching group ids"),
    "group.not_of_school": _l("teaching group %(group)s is not a group of this school"),
    "group.person_inactive": _l("%(name)s is deactivated in this school; give them a role again before changing their groups"),
    "group.leader_stays": _l("%(name)s leads %(group)s; choose another leader on that group's page first"),
    "audience.refused": _l("the participants could not be chosen"),
    "audience.bad": _l("a choice sent is not one this form offers"),
    "audience.group_unknown": _l("a teaching group chosen is not a group of this school"),
    "signup.not_open": _l("this activity is not open for sign-up"),
    "signup.refused": _l("the sign-up was not opened"),
    "signup.not_changed": _l("the sign-up was not changed"),
    "signup.capacity": _l("a capacity from 1 to %(n)s people is required"),
    "signup.closes_after_start": _l("sign-up must close before the activity starts (%(start)s)"),
    "signup.closes_past": _l("the closing time has already passed"),
    "signup.capacity_below_seats": _l("%(n)s people already hold a seat; the capacity cannot be lower"),
    "signup.closed": _l("sign-up closed at %(time)s (school time)"),
    "signup.confirmed": _l("the organizer has confirmed the list; ask them to change it"),
    "signup.twice": _l("you have already signed up"),
    "signup.participant": _l("you already take part in this activity"),
    "signup.not_signed_up": _l("you have not signed up for this activity"),
    "signup.started": _l("the activity has already started"),
    "plan.not_found": _l("plan not found"),
    "plan.save_refused": _l("the plan was not saved"),
    "plan.deadline_passed": _l("the deadline for this year's plans was %(date)s"),
    "plan.past_year": _l("%(year)s is over: its plans are kept as they were and can no longer change"),
    "plan.far_year": _l("a plan is written for %(this)s or %(next)s"),
    "plan.locked": _l("the plan is %(status)s and can no longer change"),
    "plan.goals": _l("goals of 1–%(n)s characters are required"),
    "plan.studies": _l("at most %(n)s lines of at most %(m)s characters"),
    "plan.target_below_required": _l("at least the school's requirement of %(n)s hours"),
    "plan.type_sum": _l("the hours per type add up to %(sum)s, more than the target of %(n)s"),
    "plan.type_unknown": _l("'%(key)s' is not an activity type of this school"),
    "plan.not_submitted": _l("only a submitted plan can be signed off or returned"),
    "plan.decision": _l("the decision is approve or return"),
    "plan.comment_required": _l("say why the plan is returned"),
    "plan.deadline_outside_year": _l("a date within %(year)s (%(start)s to %(end)s)"),
    "plan.deadline_date": _l("a date such as 2026-10-31"),
    # -- the activity's life -------------------------------------------------------------------
    "activity.frozen": _l("this can no longer change: the activity is %(state)s"),
    "activity.year_over": _l("%(year)s is over: attendance, participants and evidence are entered only in this school "
                             "year and the last one, from %(first)s"),
    "activity.not_started": _l("the activity has not started yet: it starts at %(start)s (school time)"),
    "activity.not_ended": _l("the activity has not ended yet: %(trigger)s once it ends, at %(end)s (school time)"),
    "attendance.not_started": _l(
        "attendance can be recorded once the activity has started: it starts at %(start)s (school time)"
    ),
    "attendance.not_list": _l("attendance must be a non-empty list"),
    "attendance.refused": _l("attendance was not saved"),
    "attendance.object": _l("expected an object"),
    "attendance.not_participant": _l("not a participant of this activity"),
    "attendance.twice": _l("listed twice"),
    "attendance.away": _l("not on the school's teaching staff when the activity was held: it is not theirs, so no hours "
                          "attended are recorded (hours missed may be, and count nowhere)"),
    "attendance.own": _l("your own attendance is recorded or changed by someone else who runs the activity (its "
                         "organiser or a school admin): nobody decides about their own hours"),
    "attendance.own_recorded": _l("your own row is recorded already: a school admin changes it if it is wrong (nobody "
                                  "decides about their own hours)"),
    "attendance.own_recorded_other_admin": _l("your own row is recorded already: another school admin changes it if it "
                                              "is wrong (nobody decides about their own hours)"),
    "attendance.exceeds": _l("attended, absent and excused hours together exceed the activity's %(n)s hours"),
    "attendance.overlap": _l("at most %(n)s hours: this person is recorded attending “%(title)s” at the same time, "
                             "and the time those activities take up together holds at most %(most)s hours"),
    # moving an activity to another time (``activities.reschedule``)
    "history.reschedule": _l("Moved to another time"),
    # attendance saved that changed someone's hours (``activities.record_attendance``)
    "history.attendance.recorded": _l("Attendance recorded"),
    # the list of participants changed after planning (``activities.note_list_change``)
    "history.participants.changed": _l("Participants changed"),
    "reschedule.refused": _l("the activity was not moved to another time"),
    "reschedule.not_movable": _l("only an activity not yet held can move to another time: this one is %(state)s"),
    "reschedule.attendance_recorded": _l(
        "attendance has been recorded for the time it has: it can no longer move (cancel it and plan it again)"
    ),
    "reschedule.attendance_recorded_own": _l(
        "attendance has been recorded for the time it has, your own unexcused absence with it: it can no longer move "
        "(someone else who runs it cancels it, and it is planned again)"
    ),
    "reschedule.evidence_recorded": _l(
        "evidence has been handed in for the time it has: it can no longer move (cancel it and plan it again)"
    ),
    "reschedule.checked_in": _l(
        "participants have checked in at the time it has: it can no longer move (cancel it and plan it again)"
    ),
    "reschedule.same_time": _l("these are the times it already has"),
    "reschedule.too_short": _l("too short for the activity's %(hours)s hours: %(why)s"),
    "reschedule.overlap": _l(
        "%(names)s: recorded attending “%(title)s” at that time, which leaves no room for this activity's %(hours)s hours"
    ),
    "trigger.required": _l("trigger is required"),
    "trigger.required_field": _l("required"),
    "trigger.unknown": _l("unknown trigger '%(trigger)s'; known triggers: %(known)s"),
    "trigger.known": _l("known triggers: %(known)s"),
    "trigger.illegal": _l("%(trigger)s is not allowed from state %(state)s; allowed: %(allowed)s"),
    "trigger.roles": _l("%(trigger)s may only be fired by: %(roles)s"),
    "trigger.independent": _l(
        "%(trigger)s must be fired by someone who neither organized nor took part in the activity"
    ),
    "trigger.own_record": _l("%(trigger)s refused: your own unexcused absence is recorded on this activity, and this "
                             "would undo it; someone else who runs the activity does it"),
    "trigger.comment": _l("%(trigger)s needs a comment"),
    "trigger.comment_field": _l("a comment is required"),
    "trigger.reason_for_others": _l(
        "%(trigger)s needs a reason: its organizer (if not you) and the people taking part or signed up are told it"
    ),
    "trigger.reason_for_others_field": _l(
        "say why: its organizer (if not you) and the people taking part or signed up are told it"
    ),
    "trigger.guard": _l("%(trigger)s refused: %(missing)s"),
    "none": _l("none"),
    "trigger.stale": _l("the activity was changed by someone else; reload and try again"),
    "activity.changed_since_read": _l(
        "the activity changed after you opened it (attendance, evidence or its state): look at it again before deciding"
    ),
    "version.invalid": _l("the version of the activity you read must be a whole number"),
    "version.whole_number": _l("a whole number from 1"),
    "comment.invalid": _l("invalid comment"),
    "comment.length": _l("text of at most %(n)s characters"),
    # -- hours ---------------------------------------------------------------------------------
    "hours.required": _l("a number of hours is required"),
    "hours.not_number": _l("%(value)s is not a number"),
    # typed by a person: what to write instead
    "hours.write_digits": _l("%(value)s is not a number: write the hours in digits, such as 2 or 1.5"),
    "hours.negative": _l("hours cannot be negative"),
    "hours.at_most": _l("at most %(n)s hours"),
    "hours.steps": _l("hours go in steps of 0.5"),
    "hours.object": _l("hours must be an object of user id → hours"),
    "hours.not_user": _l("not a user id"),
    "hours.invalid": _l("invalid hours"),
    "hours.user_at_most": _l("user %(user)s: at most %(n)s hours"),
    "hours.away": _l("not on the school's teaching staff when the activity was held: no hours can be credited to them"),
    "hours.away_recorded": _l(
        "%(names)s: not on the school's teaching staff when the activity was held, yet recorded attending it "
        "(written before that was refused): approve with their hours adjusted to 0, or have the attendance corrected"
    ),
    "hours.away_approved": _l(
        "%(names)s: not on the school's teaching staff when the activity was held, yet approved for hours "
        "(approved before that was refused): return the activity and approve it again with their hours adjusted to 0"
    ),
    "hours.away_reversed": _l(
        "reversed by the district: credited before the rule that a teacher not on the school's teaching staff when "
        "an activity was held gets no hours for it"
    ),
    "hours.above_rule_max": _l(
        "hours above what the credit rule gives for the hours not recorded missing: %(detail)s"
    ),
    "hours.only_when_adjusting": _l("hours may only be adjusted when approving"),
    "hours.only_with_approve": _l("only with approve"),
    "hours.reason_required": _l("an adjustment of hours needs a reason"),
    "hours.reason_field": _l("give the reason for the adjustment"),
    "hours.rule_raised": _l(
        "the credit rule now gives %(hours)s hours, more than the %(n)s approved; "
        "return the activity and approve it again"
    ),
    "hours.rule_lowered": _l(
        "%(hours)s hours are more than the credit rule now allows (at most %(n)s); "
        "return the activity and approve it again"
    ),
    # -- dates and years -------------------------------------------------------------------------
    "paging.bad_cursor": _l("this page link is broken; start again from the first page"),
    "paging.bad_cursor_field": _l("not a position in this list"),
    "year.invalid": _l("not a school year: '%(value)s' (expected two consecutive years from %(first)s "
                       "to %(last)s, e.g. 2026-2027)"),
    "year.invalid_field": _l("expected two consecutive years, e.g. 2026-2027"),
    "year.required": _l("a school year is required"),
    "time.expected": _l("enter a date and time, such as 2026-10-15T14:00"),
    "time.not_iso": _l("not a date and time that can be read: '%(value)s'"),
    "time.no_such_day": _l("there is no day %(value)s"),
    "time.year_range": _l("the date must be in the years %(low)s–%(high)s"),
    "certificate.not_posted": _l("credits of this activity have not been posted"),
    # -- evidence --------------------------------------------------------------------------------
    "evidence.refused": _l("evidence was not saved"),
    "evidence.not_found": _l("evidence not found"),
    "evidence.away": _l("not on the school's teaching staff when the activity was held: it is not theirs, and "
                        "nothing is handed in for it (nor counted)"),
    "evidence.not_participant": _l("not a participant"),
    "evidence.kinds": _l("kinds: %(kinds)s"),
    "evidence.text_or_file": _l("write the text or attach a file"),
    "evidence.file_required": _l("this material is a file (a scan or photo of it): attach the file, a typed text is not taken"),
    "evidence.must_be_text": _l("must be text"),
    "file.name_too_long": _l("file name too long"),
    "file.name_too_long_field": _l("the file name is longer than %(n)s characters"),
    "file.name_not_allowed": _l("file name not allowed"),
    "file.name_controls": _l("the file name contains control characters"),
    "file.type": _l("file type not allowed"),
    "file.types": _l("allowed types: %(types)s"),
    "file.heic": _l("HEIC photos (the iPhone's own format) cannot be shown here: choose the photo from the photo "
                    "library, which turns it into a JPG, or set Settings › Camera › Formats on the iPhone to Most Compatible"),
    "file.too_large": _l("file too large"),
    "file.at_most_mb": _l("at most %(n)s MB"),
    "file.empty": _l("empty file"),
    "file.empty_field": _l("the file is empty"),
    "file.mismatch": _l("file content does not match its type"),
    "file.not_real": _l("this is not a real %(ext)s file"),
    "file.not_utf8": _l("the text file is not UTF-8 or GB18030 text"),
    "file.not_utf8_field": _l("not UTF-8 or GB18030 (GBK) text"),
    # -- exemptions ------------------------------------------------------------------------------
    "exemption.choose_teacher": _l("choose a teacher"),
    "exemption.teacher_field": _l("must be a teacher of this school"),
    "exemption.refused": _l("the exemption was not saved"),
    "exemption.reason_required": _l("a reason is required"),
    "exemption.year_too_late": _l("at the latest %(year)s, the next one"),
    "exemption.not_found": _l("no exemption for this teacher and year"),
    "exemption.judged_elsewhere": _l(
        "%(year)s of this teacher is judged at %(school)s, where they taught then: it exempts them, not this school"),
    # -- schools, types, settings ----------------------------------------------------------------
    "rules.invalid": _l("invalid rules"),
    "rules.unknown": _l("unknown rule"),
    "rules.whole_range": _l("must be a whole number from %(low)s to %(high)s"),
    # -- notifications -------------------------------------------------------------------------
    "notify.tomorrow": _l("%(title)s is tomorrow at %(time)s %(location)s"),
    "notify.evidence_due": _l("%(title)s: please hand in: %(kinds)s"),
    "notify.rescheduled": _l("%(title)s has moved to another time: now from %(start)s to %(end)s (it was %(was)s)"),
    "notify.approved": _l("%(title)s was approved by the reviewer"),
    "notify.returned": _l("%(title)s was returned for rework: %(comment)s"),
    "notify.refused": _l("%(title)s was refused: %(comment)s"),
    "notify.credited": _l("The hours of %(title)s have been credited"),
    "notify.credited_to_you": _l("The hours of %(title)s have been credited: %(hours)s hours to you"),
    "notify.credited_none_to_you": _l(
        "The hours of %(title)s have been credited; none to you (absence, or nothing of yours to credit)"
    ),
    # an activity of another school year than the school's now (``notifications._IN_ANOTHER_YEAR``)
    "notify.approved_in_year": _l("%(title)s was approved by the reviewer; its hours count in the %(semester)s of "
                                  "%(year)s"),
    "notify.approved_closed_year": _l("%(title)s was approved by the reviewer; no hours are credited for it: "
                                      "%(year)s is closed to credits"),
    "notify.credited_in_year": _l("The hours of %(title)s have been credited, in the %(semester)s of %(year)s"),
    "notify.credited_to_you_in_year": _l(
        "The hours of %(title)s have been credited: %(hours)s hours to you, in the %(semester)s of %(year)s"),
    "notify.revoked": _l("The credited hours of %(title)s were revoked: %(comment)s"),
    "notify.absence_warning": _l(
        "Unexcused absence in the %(semester)s: %(hours)s hours. At %(limit)s hours none of this year's hours count."
    ),
    "notify.deadline_announced": _l("The district set a deadline: %(title)s, due %(date)s. %(note)s"),
    "notify.deadline_due": _l("%(title)s is due on %(date)s, %(days)s"),
    # how far a deadline is, in words (``notifications.text``): no "in 1 days"
    "notify.due_in_days": _l("in %(n)s days"),
    "notify.due_tomorrow": _l("tomorrow"),
    "notify.due_today": _l("today"),
    "notify.plan_deadline": _l(
        "Your personal development plan for %(year)s is due on %(date)s, %(days)s, and has not been sent"
    ),
    "notify.school_plan_deadline": _l(
        "The school's annual plan for %(year)s is due to the district on %(date)s, %(days)s, and has not been sent"
    ),
    "notify.quota_behind": _l("Behind schedule: %(quota)s, %(done)s of %(target)s done, %(expected)s expected by now"),
    "notify.quota_months_short": _l("Behind schedule: %(quota)s, %(done)s of %(target)s done. %(short)s"),
    "notify.signup_seat": _l("You have a seat at %(title)s (%(start)s): you moved up from the waiting list"),
    "notify.plan_approved": _l("Your personal development plan for %(year)s was approved"),
    "notify.plan_returned": _l("Your personal development plan for %(year)s was returned: %(comment)s"),
    "notify.school_plan_accepted": _l("The district accepted the school's annual plan for %(year)s"),
    "notify.school_plan_returned": _l("The district returned the school's annual plan for %(year)s: %(comment)s"),
    "notify.submission_accepted": _l("The district accepted the school's submission of %(year)s; the year is locked"),
    "notify.submission_returned": _l("The district returned the school's submission of %(year)s: %(comment)s"),
    "notify.submission_reopened": _l("The district reopened %(year)s for the school: %(comment)s"),
    # a district that collects semesters: the notice names the semester in words (第一学期), not "2026-2027 (1)"
    "notify.submission_accepted_semester": _l(
        "The district accepted the school's submission of the %(semester)s of %(year)s; the semester is locked"),
    "notify.submission_returned_semester": _l(
        "The district returned the school's submission of the %(semester)s of %(year)s: %(comment)s"),
    "notify.submission_reopened_semester": _l(
        "The district reopened the %(semester)s of %(year)s for the school: %(comment)s"),
    "notify.handed_over": _l("%(title)s has been handed over to you: you organize it now"),
    "notify.removed": _l("You are no longer on the list of %(title)s (%(start)s)"),
    "notify.activity_cancelled": _l("%(title)s (%(start)s) has been cancelled: %(comment)s"),
    "notify.activity_cancelled_no_reason": _l("%(title)s (%(start)s) has been cancelled"),
    "notify.correction_asked": _l("%(name)s asks for a correction of %(title)s: %(reason)s"),
    "notify.correction_done": _l("Your correction request on %(title)s was done. %(comment)s"),
    "notify.correction_declined": _l("Your correction request on %(title)s was declined: %(comment)s"),
    "notify.correction_moved_on": _l(
        "Your correction request on %(title)s was closed: the activity was credited or cancelled first"),
    "notify.correction_locked": _l(
        "Your correction request on %(title)s was closed: the district accepted its semester, nothing can change"),
    "notify.correction_year_over": _l(
        "Your correction request on %(title)s was closed: its school year is over, nothing can change"),
    "notify.kind.correction_asked": _l("Someone asks the school's admins for a correction"),
    "notify.kind.correction_closed": _l("My correction request was done, declined or closed"),
    "notify.unknown": _l("A notification"),
    "notify.kind.handed_over": _l("An activity was handed over to me"),
    "notify.kind.removed": _l("I was taken off an activity's list"),
    "notify.kind.activity_cancelled": _l("An activity I am in or signed up for was cancelled"),
    "notify.kind.tomorrow": _l("An activity I am in is tomorrow"),
    "notify.kind.rescheduled": _l("An activity I am in moved to another time"),
    "notify.kind.evidence_due": _l("Evidence I still owe"),
    "notify.kind.approved": _l("An activity was approved"),
    "notify.kind.returned": _l("An activity was returned for rework"),
    "notify.kind.refused": _l("An activity was refused after review"),
    "notify.kind.credited": _l("Hours were credited"),
    "notify.kind.revoked": _l("Credited hours were revoked"),
    "notify.kind.absence_warning": _l("My unexcused absence nears the limit"),
    "notify.kind.deadline_announced": _l("The district announced a deadline"),
    "notify.kind.deadline_due": _l("A district deadline is near"),
    "notify.kind.plan_deadline": _l("My personal plan is due and not sent"),
    "notify.kind.signup_seat": _l("My place on a waiting list became a seat"),
    "notify.kind.plan_approved": _l("My personal plan was approved"),
    "notify.kind.plan_returned": _l("My personal plan was returned"),
    "notify.kind.school_plan_deadline": _l("The school's annual plan is due and not sent"),
    "notify.kind.quota_behind": _l("A writing quota is behind schedule"),
    "notify.kind.school_plan_accepted": _l("The district accepted the school's annual plan"),
    "notify.kind.school_plan_returned": _l("The district returned the school's annual plan"),
    "notify.kind.submission_accepted": _l("The district accepted the school's year"),
    "notify.kind.submission_returned": _l("The district returned the school's year"),
    "notify.kind.submission_reopened": _l("The district reopened the school's year"),
    "notify.email_invalid": _l("enter an email address such as name@school.cn, or leave it empty"),
    "notify.kinds_invalid": _l("unknown kind of notification"),
    "notify.settings_invalid": _l("the notification settings were not saved"),
    "notify.language_invalid": _l("choose Chinese or English"),
    "notify.unsubscribe_unknown": _l("this unsubscribe link is not one the portal sent, or it was changed; "
                                     "nothing was turned off"),
    # -- correction requests (services.corrections) ------------------------------------------------
    "correction.kind": _l("choose what to ask: your own row corrected, or the activity cancelled"),
    "correction.wanted_required": _l("say what your row should read"),
    "correction.reason_required": _l("say why: a reason is required"),
    "correction.not_sent": _l("The request was not sent."),
    "correction.not_closed": _l("The request was not closed."),
    "correction.not_asked_row": _l(
        "you may ask for your own row only where it is on this activity and someone else records it"),
    "correction.not_asked_cancel": _l(
        "you may ask for a cancel only of an activity you run and may not cancel yourself"),
    "correction.already_open": _l("you asked this on %(day)s and it is still open"),
    "correction.moved_on": _l("this activity was credited or cancelled: nothing more is corrected on it"),
    "correction.own": _l("nobody closes their own request: another school admin does"),
    "correction.closed_already": _l("this request was closed already"),
    "correction.outcome": _l("choose done or declined"),
    "correction.decline_reason": _l("say why it is declined"),
    "correction.not_found": _l("no such request in this school"),
    "correction.nobody_to_close": _l(
        "no school admin here but the one asking could handle this request (nobody handles their own): the school "
        "needs a second school admin first"),
    # -- QR check-in -----------------------------------------------------------------------------
    "checkin.code_invalid": _l("this check-in code is not valid; scan the code on the screen again"),
    "checkin.code_expired": _l("this check-in code has expired; scan the code on the screen again"),
    "checkin.not_open_yet": _l("check-in opens at %(time)s (school time)"),
    "checkin.closed": _l("check-in closed at %(time)s (school time); ask the organizer to record your attendance"),
    "checkin.not_participant": _l("you are not a participant of this activity; ask the organizer to add you"),
    "checkin.not_open_state": _l("this activity is no longer open for check-in"),
    "checkin.already": _l("you checked in at %(time)s"),
    # -- calendar feeds --------------------------------------------------------------------------
    "calendar.scope_invalid": _l("unknown calendar"),
    # -- exports as jobs -------------------------------------------------------------------------
    "export.kind_invalid": _l("unknown export"),
    "export.headings_invalid": _l("%(name)s=%(value)s: an export's headings are in zh (Chinese, the default) or en (English)"),
    "export.headings_conflict": _l("headings=%(headings)s and lang=%(lang)s ask for different languages: give one"),
    "export.not_found": _l("export not found"),
    # why an export failed for good (export_jobs.failure_of), shown on its page
    "export.failed_disk_full": _l("The server's disk was full while the file was being written."),
    "export.failed_storage": _l("The server could not store the file."),
    "export.failed_error": _l("An error stopped it while the file was being written; it has been logged for the "
                              "portal administrator."),
    "export.not_ready": _l("the file is not ready, or no longer kept: see the export's state"),
    "export.no_certificates": _l(
        "no activity of this school year has its credits posted yet: there is no credit certification form to print"),
    "settings.invalid": _l("invalid settings"),
    "settings.must_be_object": _l("settings must be an object"),
    "settings.unknown": _l("unknown setting"),
    "settings.role_past_record": _l(
        "“%(title)s” still to be credited has %(hours)s hours: with these settings the role %(role)s would be "
        "credited more than %(most)s hours, the most a record holds"
    ),
    "settings.number_range": _l("must be a number from %(low)s to %(high)s"),
    "settings.whole_range": _l("must be a whole number from %(low)s to %(high)s"),
    "settings.hours_range": _l("must be a number of hours from %(low)s to %(high)s, in steps of 0.5"),
    "settings.list": _l("must be a list"),
    "text.nul": _l("must not contain NUL characters"),
    "details.unknown_field": _l("unknown field"),
    "enabled.invalid": _l("enabled must be true or false"),
    # -- a teacher's move to another school of the district -------------------------------------
    "policy.move_teacher": _l("only the district admin may move a teacher to another school"),
    "policy.move_own": _l("you cannot move yourself to another school: another district admin must do it"),
    "move.refused": _l("the teacher was not moved"),
    "move.teacher": _l("choose a teacher of one of your district's schools"),
    "move.teacher_several": _l("%(name)s teaches at several schools: name the school they leave"),
    "move.school": _l("choose a school of your district"),
    "move.same_school": _l("%(name)s already teaches at %(school)s: choose another school"),
    "move.other_district": _l(
        "%(school)s is in another district: a teacher moves only between schools of one district"),
    "move.day": _l("enter the day of the move, e.g. 2026-12-01"),
    "move.day_before_last": _l("must be later than %(day)s, when %(name)s last joined or left a school"),
    "move.day_ahead": _l("at most %(n)s days ahead: %(day)s at the latest"),
    "move.year_locked": _l(
        "the district accepted %(year)s of %(school)s: a move dated in it or before it would change"
        " the figures it accepted; the district reopens the year first"),
    # -- staff and roster ------------------------------------------------------------------------
    "staff.user_id": _l("user id must be an integer"),
    "staff.self": _l("you cannot deactivate yourself"),
    "staff.self_roles": _l("you cannot change your own roles; another school admin must do this"),
    "staff.roles_refused": _l("the roles were not changed"),
    "staff.teaches_elsewhere": _l(
        "%(person)s teaches at %(school)s now: a teacher of another school is moved here by the district"
        " (its teacher moves), not given the role by the school"),
    "staff.role_needs_own_password": _l(
        "reviewing and administering roles are not given to an account whose password an administrator set (or"
        " one changed from it): whoever knows it could sign in as them and decide about hours; the system operator"
        " gives the person a new password first"),
    "staff.roles_choose": _l("choose at least one role"),
    "staff.reset_self": _l("you cannot give yourself a new password here; change it on your password page"),
    "staff.reset_beyond": _l(
        "this person is a school admin or a reviewer, or also has a role in another school or the district: only "
        "the operator can give them a new password"
    ),
    # the staff log's line for a new password an admin gave (the password itself is never kept)
    "staff.password_given": _l("a new password was given"),
    # who made a staff change that no person of the portal made: the operator's ``flask`` command
    "staff.command_line": _l("command line"),
    "staff.exemption": _l("%(year)s: %(reason)s"),
    "audit.yes": _l("yes"),
    "audit.no": _l("no"),
    "staff.char_count": _l("%(name)s (evidence no. %(id)s): %(n)s characters"),
    "staff.writing_count": _l("%(name)s (own writing no. %(id)s): %(n)s characters"),
    "roster.xlsx": _l("not a readable XLSX file"),
    "roster.csv": _l("not a readable CSV file: a cell is too long, or a quote is not closed"),
    "roster.encoding": _l("the CSV file is not UTF-8 or GB18030 text"),
    "roster.kind": _l("roster must be a .csv or .xlsx file"),
    "roster.kind_field": _l("use a .csv or .xlsx file"),
    "roster.old_excel": _l(
        "this is an old Excel workbook (.xls): open it in Excel or WPS, save it as .xlsx (Excel workbook), "
        "and upload that file"),
    "roster.empty": _l("the file is empty"),
    "roster.too_large": _l("the file is too large"),
    "roster.no_rows": _l("the file has no rows"),
    "roster.missing_columns": _l("missing columns"),
    "roster.no_username_column": _l(
        "no column of usernames: a heading such as 用户名, 账号 or username is needed in the sheet's first rows"),
    "roster.too_many_rows": _l("too many rows"),
    "roster.at_most_rows": _l("at most %(n)s rows"),
    "roster.bad_rows": _l("the roster has bad rows; nothing was imported"),
    "roster.no_good_rows": _l("the roster has no good rows"),
    "roster.no_row": _l("no row can be imported"),
    # -- accounts and tokens ---------------------------------------------------------------------
    "user.invalid": _l("invalid user"),
    "user.name_controls": _l("the name contains control characters"),
    "user.username_format": _l("1–64 Latin letters (a–z), Chinese characters, digits, '.', '_' or '-'"),
    "user.district_of_school": _l("district roles are given in the district of the person's school: one person "
                                  "works for one district"),
    # a username of the school's own person (``users.taken_by_ours``): on the staff, or left
    "user.on_staff_already": _l("'%(name)s' (%(person)s) is on the staff already: there is nothing to add"),
    "user.left_our_school": _l(
        "'%(name)s' (%(person)s) was on the staff and left: if they are back, tick their roles again on the "
        "staff page instead of adding them anew (a second account would split their hours)"),
    # one wording wherever a school's person gets a username used elsewhere (the staff page, the roster)
    "user.username_unavailable": _l(
        "this username cannot be used; choose another. If this teacher comes from another school of the "
        "district, ask the district to move them there instead: a second account would split their hours"),
    # the same, as the district's new-school form says it (the district moves teachers itself)
    "user.username_unavailable_district": _l(
        "this username cannot be used; choose another. A teacher of another school of the district is moved "
        "to the new school on the Move a teacher page once it exists: a second account would split their hours"),
    "user.gender": _l("F or M"),
    "user.school_required": _l("a school is required for school roles"),
    "at_least_chars": _l("at least %(n)s characters"),
    "roster.unknown_roles": _l("unknown roles: %(roles)s"),
    "roster.gender": _l("gender must be M (男) or F (女)"),
    "roster.birth_date": _l("birth date: write a date such as 1970-05-01 or 1970年5月1日"),
    "user.birth_date_range": _l("a birth date from %(low)s to %(high)s: staff are 16 to 80 years old"),
    "roster.at_cell": _l("cell %(cell)s (%(column)s): %(problem)s"),
    "roster.username": _l("username: 1–64 Latin letters (a–z), Chinese characters, digits, '.', '_' or '-'"),
    # the column as the sheet heads it (工号, 用户名, username) and the row it is already on
    "roster.twice": _l("%(column)s '%(name)s' is already on row %(row)s of the file: one row for each person"),
    "roster.password": _l("password: %(problem)s"),
    "roster.name": _l("name: at most 100 characters"),
    "password.invalid": _l("invalid password"),
    "password.current_wrong": _l("the current password is wrong"),
    "password.differ": _l("The two new passwords differ."),
    "password.is_username": _l("must not be the username: it is the first password anyone would try"),
    "password.unchanged": _l("This is your current password: choose a new one"),
    "login.wrong": _l("wrong username or password"),
    "login.locked": _l("too many failed logins; try again later"),
    # what to do, as the notice of one signed out for it says (auth.no_role_left)
    "login.no_role": _l(
        "the account no longer holds a role in any school or district: if this is a mistake, ask your school admin"
    ),
    "token.required": _l("a valid bearer token is required"),
    "token.invalid": _l("the token is not valid (unknown or revoked)"),
    "token.expired": _l("the token has expired"),
    "token.inactive": _l("the account is not active"),
    "token.send": _l("send Authorization: Bearer <token> (see POST /api/v1/auth/token)"),
    "school.code_invalid": _l("invalid school code"),
    "school.code_format": _l("1–32 letters, digits, '-' or '_'"),
    "school.name_it": _l("name the school with the X-School header or the school query parameter"),
    "school.one_of": _l("required: one of %(choices)s"),
    "type.not_installed_api": _l("no activity type '%(key)s' is installed"),
    # -- the teacher's year: declared hours, writing quotas (issue 15) -------------------------
    "policy.declare": _l("only a teacher of this school may declare their own training"),
    "declared.away": _l("you were not on the school's teaching staff then: training of those days is not the school's to "
                        "certify"),
    "declared.no_participants": _l("a declaration is the declaring teacher's own: it has no other participants"),
    "declared.own_only": _l("you may only declare your own training"),
    "declared.fixed": _l("a declaration's participant and hours are fixed when it is declared"),
    "declared.again": _l("you declared this training already (“%(title)s”, %(day)s): a training is declared once"),
    "declared.overlap": _l("at most %(n)s hours: this training overlaps your declaration “%(title)s”, and the time "
                           "they cover together holds at most %(most)s hours"),
    "declared.overlap_attended": _l("at most %(n)s hours: you are recorded attending “%(title)s” at the same time, and "
                                    "the time those activities take up together holds at most %(most)s hours"),
    "declared.certificate_again": _l(
        "this file is already the certificate of your declaration “%(title)s”: a certificate counts once"),
    "policy.own_writing": _l("only a teacher of this school may add writing to their own record"),
    "writing.duplicate": _l("this text is already in your record (“%(title)s”): a piece counts once"),
    "writing.repeats": _l("this text repeats “%(title)s”, already in your record, in whole or for the most part: a "
                          "piece counts once"),
    "writing.padded": _l("%(share)s of this text repeats passages that came before in it: words written again are no "
                         "more writing; hand in the text with each passage once"),
    "writing.duplicate_file": _l("this file is already in your record (“%(title)s”): a piece counts once"),
    "writing.refused": _l("the writing was not saved"),
    "writing.no_characters": _l(
        "this text has no characters that count (only spaces, punctuation or invisible characters)"),
    "writing.kind": _l("choose one of the kinds offered: %(kinds)s"),
    "writing.title": _l("a title of 1–%(n)s characters is required (the book for reading notes)"),
    "writing.text_or_file": _l("type the text or upload a file, not both"),
    "writing.readable_only": _l("upload the text as a Word .docx or a .txt file, or paste it"),
    "writing.file_unreadable": _l(
        "this file cannot be read as a Word document: save it again as .docx, or paste the text"),
    "writing.over_kind": _l("its semester is over: a piece of it keeps its kind (what you write now is a new piece)"),
    "writing.over_more": _l("its semester is over: a correction may mend words but not count more than its %(n)s "
                            "characters (what you write now is a new piece)"),
    "writing.over_month": _l("the month it was written in is over: a correction cannot make it that month's reading "
                             "note (what you write now counts for this month)"),
    "writing.over_less": _l("its month or semester is over and %(lost)s, met then, would be met no more, which "
                            "nothing written now can make up: mend the words but keep its kind and its %(n)s "
                            "characters, or delete the piece if it should not count"),
    # deleting stays allowed: said before (the writing page, beside the delete) and after (the page, the API)
    "writing.deletion_loses": _l("Deleting it leaves %(lost)s short for good: its period is over, and nothing "
                                 "written now can make it up."),
    "writing.deleted_lost": _l("%(lost)s is now short for good: its period is over, and nothing written now can "
                               "make it up."),
    "writing.not_found": _l("no such writing of yours"),
    "writing.note_short": _l("fewer than %(n)s characters: counts towards neither the reading notes' characters nor "
                             "the books read"),
    "policy.own_writing_change": _l("only its author may change or delete this writing"),
    # -- command line (shown in English, the language of shells and logs) ------------------------
    "cli.demo_in_production": _l("YANXIU_ENV=production: the demo's logins (a district admin among them) "
                                 "share the published password %(password)s and would open this portal's "
                                 "schools to anyone; load it on a trial instance, or pass --public-demo "
                                 "for a site that exists to show it"),
    "cli.unknown_type": _l("unknown activity type '%(key)s'; installed: %(installed)s"),
    "cli.unknown_state": _l("unknown state '%(state)s'"),
    "cli.no_user": _l("no user '%(username)s'"),
    "cli.no_district_role": _l("'%(username)s' holds no district role"),
    "cli.no_activity": _l("no activity %(id)s"),
    "cli.repair_needs_as": _l("--apply writes reversing entries in the name of district staff: give --as USERNAME"),
    "cli.school_outside_district": _l("school %(code)s is not in the district of '%(username)s'"),
    "cli.unknown_format": _l("unknown format '%(format)s': choose %(choices)s"),
    "cli.output_is_dir": _l("%(output)s is a directory; give a file name"),
    "cli.folder_missing": _l("cannot write %(output)s: folder %(folder)s does not exist"),
    "cli.folder_not_writable": _l("cannot write %(output)s: folder %(folder)s is not writable"),
    "cli.output_unusable": _l("cannot write %(output)s: %(reason)s"),
    "backup.not_sqlite": _l(
        "flask backup copies SQLite databases only; this portal uses %(backend)s. Back up PostgreSQL with "
        "pg_dump, e.g.: pg_dump --format=custom --file yanxiu.dump \"$DATABASE_URL\""
    ),
    "backup.in_memory": _l("the database is in memory; there is no file to back up"),
    "backup.integrity": _l("the copy failed its integrity check: %(check)s"),
    "backup.no_database_file": _l("database file %(path)s does not exist"),
    "backup.exists": _l("%(output)s already exists; choose a new file name"),
    "backup.onto_itself": _l("the output must not be the database itself"),
    "backup.no_directory": _l("directory %(path)s does not exist"),
    # -- the API's input layer (portal/api/validation.py) and the input guard ------------------
    "api.body_invalid": _l("the request body is not valid"),
    "api.query_invalid": _l("the query string is not valid"),
    "api.form_invalid": _l("the form is not valid"),
    "api.send_json": _l("send a JSON body with Content-Type: application/json"),
    "api.send_multipart": _l("send multipart/form-data"),
    "api.bad_json": _l("the body is not valid JSON"),
    "api.not_json": _l("not JSON"),
    "api.name_twice": _l("%(name)s appears twice in one object"),
    "api.not_multipart": _l("not multipart/form-data"),
    "api.required": _l("required"),
    "api.unknown_field": _l("unknown field"),
    "api.unknown_query": _l("unknown query parameter"),
    "api.must_be_text": _l("must be text"),
    "api.must_be_number": _l("must be a number"),
    "api.must_be_list": _l("must be a list"),
    "api.finite": _l("must be a finite number"),
    "api.at_least_chars": _l("at least %(n)s characters"),
    "api.at_least_items": _l("at least %(n)s items"),
    "api.at_most_items": _l("at most %(n)s items"),
    "api.at_least": _l("must be at least %(n)s"),
    "api.more_than": _l("must be more than %(n)s"),
    "api.at_most": _l("must be at most %(n)s"),
    "api.less_than": _l("must be less than %(n)s"),
    "api.multiple_of": _l("must be a multiple of %(n)s"),
    "api.pattern": _l("does not have the expected form"),
    "api.one_of": _l("must be one of %(values)s"),
    "api.not_valid": _l("is not valid"),
    "api.school_year": _l("a school year such as 2026-2027 (two consecutive years, %(first)s to %(last)s)"),
    "api.http_400": _l("the request is not valid"),
    "api.http_401": _l("a valid bearer token is required"),
    "api.http_403": _l("you may not do this"),
    "api.http_404": _l("not found"),
    "api.http_405": _l("this method is not allowed here"),
    "api.http_409": _l("the request conflicts with the current state"),
    "api.http_413": _l("the request body is too large"),
    "api.http_415": _l("this content type is not supported"),
    "api.http_429": _l("too many attempts; try again later"),
    "api.http_500": _l("something went wrong on the server"),
    "guard.nul": _l("must not contain NUL characters"),
    "guard.surrogate": _l("must not contain invalid Unicode (unpaired surrogates)"),
    "guard.bidi": _l("must not contain invisible direction controls (such as U+202E) that make text show "
                     "differently from what it is"),
    "guard.file_name": _l("the file name %(problem)s"),
    "guard.request": _l("the request contains text that cannot be stored"),
    "guard.query_utf8": _l("the query string is not valid UTF-8"),
    "guard.form_utf8": _l("the form is not valid UTF-8"),
    "guard.not_utf8": _l("not UTF-8"),
    "guard.page": _l(
        "The request contains characters the portal cannot accept (a NUL character, invalid Unicode or an "
        "invisible direction control). Nothing was changed."
    ),
    # -- the audit trail's filter -----------------------------------------------------------------
    "audit.invalid": _l("invalid audit filter"),
    "audit.date": _l("a date such as 2026-10-15 or 2026年10月15日"),
    "audit.positive": _l("a positive whole number"),
    "audit.one_of": _l("one of: %(choices)s"),
    "audit.to_before_from": _l("must not be before the start date"),
    # -- printed forms ---------------------------------------------------------------------------
    "paper.school_year": _l("School year %(first)s–%(second)s"),
    # the same year within a sentence (a notice's): "for the 2026–2027 school year", 2026—2027学年
    "paper.school_year_within": _l("the %(first)s–%(second)s school year"),
    "paper.semester_1": _l("first semester"),
    "paper.semester_2": _l("second semester"),
    "paper.remark_excused": _l("excused absence (leave) %(hours)s h"),
    "paper.remark_absent": _l("unexcused absence %(hours)s h"),
    "evidence.handed_in_again": _l("%(kind)s: this piece is handed in here already (“%(title)s”); the same piece "
                                   "again is not another one"),
    "evidence.before_start": _l("%(kind)s is on what took place: it is taken once the activity has begun "
                                "(%(start)s)"),
    "paper.remark_away": _l("not on the school's teaching staff then: the absence does not count"),
    "paper.verify_hint": _l("To check this document, scan the QR code or open %(url)s"),
    "paper.verify_unknown": _l("no document with this verification code was issued by this portal"),
}


@dataclass(frozen=True)
class Msg:
    """A refusal or field error: a code of :data:`TEXTS` and its parameters. ``str()`` gives
    the text in the current language; :attr:`english` the text for logs and the API's default."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    def render(self, locale: str | None = None) -> str:
        if locale is not None and has_app_context():
            with force_locale(locale):
                return self.render()
        values = {k: v if isinstance(v, (str, int, float)) else tr(v) for k, v in self.params}
        template = TEXTS[self.code]
        msgid = template._args[0] if hasattr(template, "_args") else str(template)
        if not has_app_context():
            return msgid % values if values else msgid
        return gettext(msgid, **values) if values else gettext(msgid)

    @property
    def english(self) -> str:
        return self.render("en")

    def __eq__(self, other: object) -> bool:
        """The same code and parameters; or, against plain text, its English text (what code
        and tests written before the codes compare with). :meth:`__hash__` agrees with both."""
        if isinstance(other, Msg):
            return (self.code, self.params) == (other.code, other.params)
        if isinstance(other, str):
            return self.english == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.english)

    def __str__(self) -> str:
        return self.render()

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(self.render()))


class Joined:
    """Several messages as one parameter, joined with "; " (or ``separator``) in the reader's
    language: the separator is a msgid too ("; " is "；" in Chinese, ", " is "、")."""

    def __init__(self, items: Any, separator: str = "; "):
        self.items = list(items)
        self.separator = separator

    def __str__(self) -> str:
        return _separator(self.separator).join(tr(m) for m in self.items)


def _separator(text: str) -> str:
    return gettext(text) if has_app_context() else text


def _labelled(name: Any, message: str) -> str:
    """``name: message`` with the reader's colon (full width in Chinese)."""
    if has_app_context():
        return gettext("%(name)s: %(message)s", name=name, message=message)
    return f"{name}: {message}"


#: School roles and relations to an activity, as a refusal names them.
ROLE_TEXTS: dict[str, Any] = {
    "teacher": _l("teacher"),
    "organizer": _l("organizer"),
    "reviewer": _l("reviewer"),
    "school_admin": _l("school admin"),
    "district_admin": _l("district admin"),
    "district_reviewer": _l("district reviewer"),
    "owner": _l("the activity's organizer"),
    "participant": _l("a participant"),
}
#: ``owner`` of a self-declared activity (``ActivityType.self_declared``): the teacher who declares
#: it is its organiser and only participant, and is named so.
DECLARER_TEXT = _l("the declaring teacher")


#: The school roles as a choice or a column names them (capitalised in English).
ROLE_NAMES: dict[str, Any] = {
    "teacher": _l("Teacher"),
    "organizer": _l("Organizer"),
    "reviewer": _l("Reviewer"),
    "school_admin": _l("School admin"),
}


class _Roles:
    def __init__(self, roles: list[str], self_declared: bool = False):
        self.roles, self.self_declared = roles, self_declared

    def __str__(self) -> str:
        return _separator(", ").join(str(self._text(r)) for r in self.roles)

    def _text(self, role: str) -> Any:
        if role == "owner" and self.self_declared:
            return DECLARER_TEXT
        return ROLE_TEXTS.get(role, role)


def role_labels(roles: list[str], self_declared: bool = False) -> Any:
    """Role names as a message parameter: labels in the reader's language. ``self_declared``:
    of a step of a self-declared type, whose organiser (``owner``) is the declaring teacher."""
    return _Roles(list(roles), self_declared)


def shown(value: Any, limit: int = 40) -> str:
    """``value`` as someone typed or sent it, fit to stand inside a message: text as it is (the
    catalogue's message quotes it as its language quotes: 'x' in English, “x” in Chinese), any
    other value as Python writes it, an invisible control or format character (a bell, a
    right-to-left override) as U+FFFD, and cut to ``limit`` characters with "…". The refusal of an
    unknown value shows what was wrong with it, never ``'ho\\x07ld'``."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def msg(code: str, /, **params: Any) -> Msg:
    """The message ``code`` with ``params`` (checked against the catalogue at once)."""
    if code not in TEXTS:
        raise KeyError(f"unknown message code {code!r}")
    return Msg(code, tuple(sorted(params.items())))


#: between the two languages of :func:`operator_line`
OPERATOR_SEPARATOR = " — "


def operator_line(message: Any) -> str:
    """``message`` as an operator reads it where a start or a command is refused (gunicorn's log,
    a shell): one line, in Chinese (the portal's language: its operators are Chinese schools' and
    districts'), then in English (for a log read elsewhere, a search for the words, a bug report).
    Both always: the refusal may be about the very settings that would choose a language, and it
    is written before any request or person has one. With an app (a command's), ``message`` is
    anything :func:`tr` renders — a :class:`Msg` with messages or role names as parameters, a
    refusal, a plugin's ``Text`` — each language whole; with none (the start stopped before there
    is one), a :class:`Msg` read from the core catalogue directly. Only English when the catalogue
    has no Chinese for it (not compiled yet)."""
    from portal.i18n import _core_catalog

    if has_app_context():
        with force_locale("en"):
            said_en = tr(message)
        with force_locale("zh_Hans_CN"):
            said_zh = tr(message)
        return said_en if said_zh == said_en else said_zh + OPERATOR_SEPARATOR + said_en
    values = {k: v if isinstance(v, (str, int, float)) else str(v) for k, v in message.params}
    template = TEXTS[message.code]
    msgid = template._args[0] if hasattr(template, "_args") else str(template)
    english = msgid % values if values else msgid  # the msgid is the English
    chinese = _core_catalog("zh_Hans_CN").get(msgid)
    return english if not chinese else (chinese % values if values else chinese) + OPERATOR_SEPARATOR + english


def tr(message: Any) -> str:
    """Any message in the viewer's language: a :class:`Msg`, a refusal (its message), a plugin's
    ``Text``, a list or dict of them, or plain text (looked up as a msgid, e.g. WTForms')."""
    from portal.errors import DomainError

    if isinstance(message, DomainError):
        return tr(message.msg)
    if isinstance(message, Msg):
        return message.render()
    if isinstance(message, (list, tuple)):
        return _separator("; ").join(tr(m) for m in message)
    if isinstance(message, Mapping):
        return _separator("; ").join(_labelled(k, tr(v)) for k, v in message.items())
    if isinstance(message, str) and has_app_context():
        return gettext(message) if message else message
    return str(message)


def in_language(value: Any, locale: str) -> Any:
    """``value`` with every message (a :class:`Msg` or a plugin's ``Text``, nested in dicts and
    lists) rendered in ``locale``: what the API puts in an error body."""
    if not has_app_context():
        return _rendered(value)
    with force_locale(locale):
        return _rendered(value)


def _rendered(value: Any) -> Any:
    if isinstance(value, Msg):
        return value.render()
    if isinstance(value, Mapping):
        return {k: _rendered(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rendered(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # a plugin's Text, a lazy string


# -- labels of the forms and exports ---------------------------------------------------------
# A label with a context (``_pl``) is translated with ``pgettext``: the export heading "Status"
# (考核结果) is not the screen's "Status" (状态).


def _pl(context: str, text: str) -> tuple[str, str]:
    """Mark a label with its context for extraction; translated by :func:`label`."""
    return (context, text)


HEADINGS: dict[str, tuple[str, str]] = {
    "school_code": _pl("export", "School code"),
    "school": _pl("export", "School"),
    "year": _pl("export", "School year"),
    "username": _pl("export", "Username"),
    "name": _pl("export", "Name"),
    "total": _pl("export", "Total hours"),
    "required": _pl("export", "Required hours"),
    "absent_1": _pl("export", "Unexcused absence, first semester"),
    "absent_2": _pl("export", "Unexcused absence, second semester"),
    # the printed summary's two absence columns, under one heading (absent_1 and absent_2 in one)
    "absent": _pl("export", "Hours of unexcused absence"),
    "status": _pl("export", "Status"),
    "note": _pl("export", "Note"),
    "semester": _pl("export", "Semester"),
    "activity_id": _pl("export", "Activity no."),
    "activity": _pl("export", "Activity"),
    "type": _pl("export", "Type"),
    "role": _pl("export", "Role"),
    "hours": _pl("export", "Hours"),
    "kind": _pl("export", "Kind"),
    "remark": _pl("export", "Remark"),
    "date": _pl("export", "Date"),
    "no": _pl("export", "No."),
    "attended": _pl("export", "Hours attended"),
    "credited": _pl("export", "Hours credited"),
    "certificate": _pl("export", "Credit certification form"),
    "activity_date": _pl("export", "Held on"),
    "planned_hours": _pl("export", "Planned hours"),
    "reviewer": _pl("export", "Reviewer"),
    "approved_at": _pl("export", "Approved on"),
    "posted_by": _pl("export", "Credits posted by"),
    "credited_at": _pl("export", "Credited on"),
    "total_credited": _pl("export", "Total hours credited"),
    "summary": _pl("export", "Summary"),
    "ledger": _pl("export", "Ledger"),
    "term": _pl("export", "School year and semester"),
    "signature": _pl("export", "Signature"),
    "organizer": _pl("export", "Organizer"),
    "made_by": _pl("export", "Prepared by"),
    "checked_by": _pl("export", "Checked by"),
    "school_seal": _pl("export", "School seal"),
    "sign_date": _pl("export", "Date"),
    "record": _pl("export", "Certificate of training hours"),
    "teacher": _pl("export", "Teacher"),
    "assessment": _pl("export", "Assessment"),
    "verification_code": _pl("export", "Verification code"),
    "activities": _pl("export", "Credited activities"),
    "page": _pl("export", "Page"),
    "warnings": _pl("export", "Warnings"),
}

#: A year's assessment status: its words and its colour, the same on every page and export.
STATUSES: dict[str, tuple[str, str]] = {
    "met": _pl("status", "Met"),
    "short": _pl("status", "Short"),
    "not_recognised": _pl("status", "Not recognised"),
    "exempt": _pl("status", "Exempt"),
    # a first semester's submission: the year's hours are not judged yet (assessment.period_status)
    "in_progress": _pl("status", "In progress (not judged before the year ends)"),
}
#: A status in a few words, where a dense table prints it (the 学时汇总表 PDF): the others' own.
STATUS_SHORT: dict[str, tuple[str, str]] = {"in_progress": _pl("status", "In progress")}
STATUS_STYLES = {"met": "success", "short": "warning", "not_recognised": "danger", "exempt": "secondary", "in_progress": "info"}

#: A teacher who has left the school, on a year's summary: beside the name on the page, after
#: the note in its exports (joined by ``NOTE_JOIN``), ``left_school`` in the API.
LEFT_SCHOOL = _pl("summary", "Left the school")
NOTE_JOIN = _pl("summary", "; ")

#: The records that are not activities — a teacher's plan, the school's annual plan, a year
#: submitted to the district — and the district's actions on a submission: the words and colours
#: of their statuses (the statuses themselves are their services' constants).
RECORD_STATUSES: dict[str, dict[str, tuple[str, str]]] = {
    "plan": {
        "draft": _pl("personal plan", "draft"),
        "submitted": _pl("personal plan", "awaiting sign-off"),
        "approved": _pl("personal plan", "approved"),
        "returned": _pl("personal plan", "returned"),
    },
    "school_plan": {
        "draft": _pl("plan", "Draft"),
        "submitted": _pl("plan", "Sent to the district"),
        "returned": _pl("plan", "Returned"),
        "accepted": _pl("plan", "Accepted"),
    },
    "submission": {
        "submitted": _pl("submission", "Submitted"),
        "returned": _pl("submission", "Returned"),
        "accepted": _pl("submission", "Accepted, locked"),
        "reopened": _pl("submission", "Reopened"),
        "none": _pl("submission", "Not submitted yet"),
    },
    "submission_export": {  # a school's state in the district's workbook
        "accepted": _pl("export", "Accepted, locked"),
        "submitted": _pl("export", "Submitted, not yet accepted"),
        "returned": _pl("export", "Returned to the school"),
        "reopened": _pl("export", "Reopened"),
        "none": _pl("export", "Not submitted"),
    },
    "submission_event": {
        "submit": _pl("submission event", "Submitted"),
        "return": _pl("submission event", "Returned"),
        "accept": _pl("submission event", "Accepted and locked"),
        "reopen": _pl("submission event", "Reopened"),
    },
}
RECORD_STYLES: dict[str, dict[str, str]] = {
    "plan": {"draft": "secondary", "submitted": "info", "approved": "success", "returned": "warning"},
    "school_plan": {"draft": "secondary", "submitted": "info", "returned": "warning", "accepted": "success"},
    "submission": {"submitted": "primary", "returned": "warning", "accepted": "success", "reopened": "secondary"},
}

REASONS: dict[str, tuple[str, str]] = {
    "retirement_age": _pl("assessment reason", "Near retirement (women 50, men 55 by 31 December): not assessed"),
    "absent_semester_1": _pl("assessment reason", "Unexcused absence limit reached in the first semester"),
    "absent_semester_2": _pl("assessment reason", "Unexcused absence limit reached in the second semester"),
    "quota_reading_notes": _pl("assessment reason", "Writing quota not met: reading notes"),
    "quota_paper": _pl("assessment reason", "Writing quota not met: paper or teaching essay"),
    "quota_reflections": _pl("assessment reason", "Writing quota not met: teaching reflections"),
    "quota_books": _pl("assessment reason", "Writing quota not met: books read"),
    "quota_notes_monthly": _pl("assessment reason", "Writing quota not met: reading notes every month"),
}
#: Several writing quotas not met (``assessment.joined_reasons``): one sentence naming each.
QUOTAS_NOT_MET = _pl("assessment reason", "Writing quotas not met: %(quotas)s")
QUOTA_NAMES: dict[str, tuple[str, str]] = {
    "quota_reading_notes": _pl("writing quota", "reading notes"),
    "quota_paper": _pl("writing quota", "paper or teaching essay"),
    "quota_reflections": _pl("writing quota", "teaching reflections"),
    "quota_books": _pl("writing quota", "books read"),
    "quota_notes_monthly": _pl("writing quota", "reading notes every month"),
}
QUOTA_LIST = _pl("writing quota", ", ")

KINDS: dict[str, tuple[str, str]] = {"credit": _pl("ledger kind", "Credit"), "reversal": _pl("ledger kind", "Reversal")}

#: The steps of a school year's submission to the district, as the school's audit log names them.
SUBMISSION_EVENTS: dict[str, tuple[str, str]] = {
    "submit": _pl("submission event", "Submitted to the district"),
    "return": _pl("submission event", "Returned by the district"),
    "accept": _pl("submission event", "Accepted and locked by the district"),
    "reopen": _pl("submission event", "Reopened by the district"),
}
#: A submission's status, in the audit log's from/to columns.
SUBMISSION_STATUSES: dict[str, tuple[str, str]] = {
    "submitted": _pl("submission", "Submitted"),
    "returned": _pl("submission", "Returned"),
    "accepted": _pl("submission", "Accepted, locked"),
    "reopened": _pl("submission", "Reopened"),
}


#: One Chinese word for each idea, on every page, export and printed form: the catalogue's
#: translations use the term on the left and never its synonyms on the right
#: (``tests/core/test_messages.py`` checks every translation).
ZH_TERMS: dict[str, tuple[str, ...]] = {
    "未请假缺席": ("无故缺勤", "无故缺席", "旷会"),
    "免于考核": ("免考核",),
    "您": ("你",),  # the portal addresses everyone alike, politely
}


def norm_lang(lang: str | None) -> str:
    """'en' or 'zh' from any spelling of the two languages."""
    return "en" if (lang or "").lower().startswith("en") else "zh"


def locale_of(lang: str | None) -> str:
    """The catalogue's locale (``force_locale``) of a language spelt any way."""
    return "en" if norm_lang(lang) == "en" else "zh_Hans_CN"


def person_locale(user: Any) -> str:
    """The language a person reads what reaches them outside a page — email, calendar feeds —
    in: the one they chose in their settings, else the portal's default."""
    from flask import current_app

    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")


def label(entry: tuple[str, str], lang: str | None = None) -> str:
    """A labelled entry in ``lang`` ("zh"/"en"; the viewer's language when None)."""
    from flask_babel import pgettext

    context, text = entry
    if not has_app_context():
        return text
    if lang is None:  # the viewer's language: pages ask per row (summary statuses and reasons)
        lang = lang_code()
    key = (context, text, norm_lang(lang))
    if key not in _LABELS:  # exports ask per row: one catalogue look-up per label and language
        with force_locale(locale_of(key[2])):
            _LABELS[key] = pgettext(context, text)
    return _LABELS[key]


_LABELS: dict[tuple[str, str, str], str] = {}


def in_lang(message: Msg, lang: str | None = None) -> str:
    """A message in ``lang`` ("zh"/"en"; the viewer's language when None)."""
    if lang is None:
        return message.render()
    return message.render(locale_of(lang))


def school_year_text(year: str, semester: int | None = None, lang: str | None = None, *, within: bool = False) -> str:
    """``2026-2027`` (and semester 1) as a form writes it: 2026—2027学年 第一学期. ``within``: as a
    sentence says it past its start ("for the 2026–2027 school year"; the Chinese is the same)."""
    first, _sep, second = year.partition("-")
    text = in_lang(msg("paper.school_year_within" if within else "paper.school_year", first=first, second=second), lang)
    if semester in (1, 2):
        text += " " + semester_text(semester, lang)
    return text


def semester_text(semester: Any, lang: str | None = None, *, first: bool = False) -> str:
    """A semester in words, the one way every page, record and export writes it: 第一学期,
    "first semester" (``first``: beginning a sentence, "First semester"). Anything but 1 or 2
    is left as it is."""
    try:
        n = int(semester)
    except (TypeError, ValueError):
        return str(semester)
    if n not in (1, 2):
        return str(semester)
    if not has_app_context():
        return _semester_words(n, lang, first)
    # kept per language: the words depend on nothing else (a summary, its exports and the
    # teacher's record ask per quota column, per warning and per row)
    key = (n, first, lang_code() if lang is None else norm_lang(lang))
    text = _SEMESTERS.get(key)
    if text is None:
        _SEMESTERS[key] = text = _semester_words(n, lang, first)
    return text


def _semester_words(n: int, lang: str | None, first: bool) -> str:
    text = in_lang(msg(f"paper.semester_{n}"), lang)
    return text[:1].upper() + text[1:] if first else text


#: :func:`semester_text`'s words by (semester, first, "zh"/"en"): eight at most.
_SEMESTERS: dict[tuple[int, bool, str], str] = {}


def heading(key: str, lang: str | None = None) -> str:
    return label(HEADINGS[key], lang)


def status_label(status: str, lang: str | None = None) -> str:
    return label(STATUSES[status], lang) if status in STATUSES else status


def status_short_label(status: str, lang: str | None = None) -> str:
    """:func:`status_label` in a few words (:data:`STATUS_SHORT`), for a dense printed table."""
    return label(STATUS_SHORT[status], lang) if status in STATUS_SHORT else status_label(status, lang)


def record_status(kind: str, status: str, lang: str | None = None) -> str:
    """The words of a plan's or a submission's status (``kind`` a key of :data:`RECORD_STATUSES`)."""
    words = RECORD_STATUSES[kind]
    return label(words[status], lang) if status in words else status


@dataclass(frozen=True)
class RecordStatus:
    """A record's status as a message parameter: its words in the reader's language."""

    kind: str
    status: str

    def __str__(self) -> str:
        return record_status(self.kind, self.status)


@dataclass(frozen=True)
class Semester:
    """A semester as a message parameter: its words in the reader's language (:func:`semester_text`)."""

    n: int

    def __str__(self) -> str:
        return semester_text(self.n)


@dataclass(frozen=True)
class LostQuotas:
    """Writing quotas of periods over that a change leaves short for good, as a message parameter:
    "2026年10月的读书笔记、第一学期教学反思" in the reader's language (``year_texts.lost_text``).
    Each (key, semester, month "2026-10" of the monthly quota or "")."""

    lost: tuple[tuple[str, int, str], ...]

    def __str__(self) -> str:
        from portal.year_texts import lost_text  # year_texts → messages

        return lost_text(self.lost)


@dataclass(frozen=True)
class SchoolYear:
    """A school year as a message parameter: its words in the reader's language (:func:`school_year_text`;
    ``within``: past a sentence's start, as a notice says it)."""

    year: str
    within: bool = False

    def __str__(self) -> str:
        return school_year_text(self.year, within=self.within)

    @classmethod
    def said(cls, year: str) -> SchoolYear:
        """The year as a sentence says it past its start: "the 2026–2027 school year", 2026—2027学年."""
        return cls(year, within=True)


def record_style(kind: str, status: str) -> str:
    return RECORD_STYLES.get(kind, {}).get(status, "secondary")


def reason_label(reason: str, lang: str | None = None) -> str:
    """A policy's reason code in words; a school admin's exemption reason as written. Several
    writing quotas not met (``quota_paper+quota_books``) are one sentence naming each."""
    from portal.assessment import REASON_JOIN  # not at the top: the assessment's imports ask this module

    if reason in REASONS:
        return label(REASONS[reason], lang)
    codes = reason.split(REASON_JOIN)
    if len(codes) > 1 and all(code in QUOTA_NAMES for code in codes):
        names = label(QUOTA_LIST, lang).join(label(QUOTA_NAMES[code], lang) for code in codes)
        return label(QUOTAS_NOT_MET, lang) % {"quotas": names}
    return reason


# WTForms' own messages, as the types' detail forms report them: each the code of its text
# (``services.details`` refuses with the code, so the API answers in the language asked for too)
FORM_TEXTS: dict[str, str] = {
    "This field is required.": "form.required",
    "Not a valid choice.": "form.not_a_choice",
    "Invalid input.": "form.invalid_input",
    "Not a valid integer value.": "form.not_integer",
    "Not a valid decimal value.": "form.not_decimal",
    "Not a valid float value.": "form.not_float",
}
TEXTS.update({
    "form.required": _l("This field is required."),
    "form.not_a_choice": _l("Not a valid choice."),
    "form.invalid_input": _l("Invalid input."),
    "form.not_integer": _l("Not a valid integer value."),
    "form.not_decimal": _l("Not a valid decimal value."),
    "form.not_float": _l("Not a valid float value."),
})

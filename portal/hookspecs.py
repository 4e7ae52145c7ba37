"""The plugin contract of Yanxiu: every hook a plugin can implement.

Plugins are found through the entry-point group ``portal.plugins``; each entry point names a
module (or object) whose functions are marked with :data:`hookimpl`::

    # pyproject.toml
    [project.entry-points."portal.plugins"]
    reading_club = "yanxiu_reading_club"

    # yanxiu_reading_club/__init__.py
    from portal.hookspecs import hookimpl

    @hookimpl
    def portal_activity_types():
        return [ReadingClub()]

Rules: implementations take any *subset* of the arguments below, by name (pluggy's rule);
the portal always calls hooks with keyword arguments. A plugin whose hook name is not one of
this contract's (``portal_template_dir`` for ``portal_template_dirs``) is refused at load
(pluggy's ``check_pending``) and reported with the nearest hook name. Hook wrappers are refused.

Order: plugins are *registered* built-ins first (``plugins.*`` of the portal's distribution, by
entry-point name), then third-party plugins (by distribution name, then entry-point name),
then ``EXTRA_PLUGINS`` objects; the seeds' default assessment policy comes before them all.
Every hook is called in that registration order — the first registered plugin first
(``tryfirst``/``trylast`` move an implementation to the front/back) — except
``portal_assess_year``, which is ``firstresult`` and called in pluggy's order: the *last*
registered plugin is asked first, so a policy plugin overrides the default — and
``portal_transition_data``, which is asked only of the plugin that provides the activity's
type. An activity type key always belongs to the first registered plugin that provides it.

A hook that raises (``sys.exit()`` and any BaseException but KeyboardInterrupt included) is
reported with its plugin's name (log, ``flask plugins list``,
``/admin/plugins``) and never reaches the user as an error page.

The built-in types in ``plugins/`` use exactly these hooks and nothing else.

Contract version: :data:`CONTRACT_VERSION`. A new optional hook or argument is a minor bump;
a removed or changed one is a major bump (see ``docs/plugins.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Mapping

    import click
    from flask import Blueprint

    from portal.activity_types import ActivityType
    from portal.assessment import Assessment, YearFacts
    from portal.facade import Portal
    from portal.services.delivery import Outgoing
    from workflows import ActivitySnapshot

CONTRACT_VERSION = "1.23"  # 1.1: activity_types.Setting, ActivityType.declared_settings;
# 1.2: portal_register_routes, portal_register_commands, portal.facade.Portal;
# 1.3: portal_transition_data, TransitionContext.data;
#      ActivityType.self_declared, ActivityType.check_plan (PlanFacts), YearFacts quotas 1.4: portal_notify
# 1.5: PlanFacts.details, PlanFacts.standing (a self-declared type's other standing declarations)
# 1.6: State.phase required (refused at load without a known one); every trigger into review,
#      confirmation or credit waits for the start; validate_settings, settings_with_defaults and the
#      type's form reported like credit_hours when they raise; a type's declarations (name, roles,
#      evidence kinds, settings, details form) checked at load
# 1.7: refused at load: a workflow stepping round the review, a redeclared core evidence kind,
#      a trigger out of the closed phase; a BaseException of a plugin's code (not
#      KeyboardInterrupt) reported like any failure; calls timed against PLUGIN_CALL_BUDGET_MS
# 1.8: PlanFacts.ends_at and PlanFacts.now (to the minute, in the school's time),
#      PlanFacts.year_ends_on (the last day of its school year)
# 1.9: a type's declarations read once at load, inside the plugin's boundary, and the copy read by
#      every page (a later change of answer is not seen; default_role must be one of the roles); a
#      plugin page's return value made a response inside the plugin's boundary
# 1.10: a trigger that posts credits waits for the activity's end (WorkflowDefinition.waits_for_end,
#      workflows.NotEnded); the core refuses a plan ending in another semester, hours longer than
#      the activity (45-minute lessons) and, under the core's credit rule, a role above 999.5 hours
# 1.11: ActivityType.sample_roles (who takes part in a demo activity, in which role); portal.testing's
#      yanxiu_settings and yanxiu_credits, and files through yanxiu_evidence; refused at load: a type
#      named as another type, a state or trigger labelled as another of
#      another name (the core's included); a template in a folder named after a plugin or its type
#      keys is served from that plugin's folders only; a msgid two plugins' catalogues translate keeps
#      the first plugin's words; a migration folder reusing a revision id or branch label is left out
# 1.12: EvidenceKind.after_start (a kind taken once the activity has begun: the common reflection
#      and evaluation are)
# 1.13: refused at load: required_evidence or role_multipliers naming a role or evidence kind the
#      type lacks (or a count that is not a whole number), a form field's label empty in a language
# 1.14: ActivityType.credit_by_role_and_hours (a type's own credit_hours reads only a participant's role and
#      hours: asked once per distinct role and hours of an activity, passed no user id or name)
# 1.15: TransitionContext.timezone (the school's), TransitionContext.local_time / local_date (a snapshot's
#      time by the school's clock: "two days before" in calendar days)
# 1.16: Portal.year_locked (whether the district has accepted, so locked, a school's year or semester),
#      ActivitySnapshot.school_year / semester (the period an activity belongs to)
# 1.17: TransitionContext.type_roles / type_kinds (the type's declared roles and evidence kinds):
#      participants_with_role, evidence_of and missing_evidence raise on a role or kind the type lacks;
#      Transition.comment_when_others (a comment asked once others take part or signed up: cancel),
#      TransitionContext.signed_up and people()
# 1.18: EvidenceKind.of_the_activity (one record of the activity: the same piece is taken once at the
#      activity, whoever of its people hands it in; the mentorship's meeting log is)
# 1.19: WorkflowExtension.waits_for_end and Transition.not_before_end (a step of the type's, the core's
#      too, refused before the activity's end as credit is: hidden until then, refused in the core's words;
#      an unknown trigger named is refused at load; the mentorship's hold waits for the pairing's end)
# 1.20: activity_types.Text formats with % (both texts), so a validator's own message=Text(…) of
#      WTForms' Length or NumberRange (message % dict(min=…, max=…)) no longer raises; refused at load:
#      a workflow state nobody can leave but by cancel (a dead end), a transition's sources or roles
#      given as one str, guards not in a tuple; SampleProfile checks its volumes when made
# 1.21: facade Portal.said (a command's refusal in Chinese then English, as the core's commands
#      refuse) and Portal.sample_profile (a type's volumes, asked inside its boundary);
#      activity_types.floor_half public (hours down to the half hour); refused at load: waits_for_end
#      or not_before_end on a step that goes back (cancel, return, revoke, a step away from the credits)
# 1.22: activity_types.school_year_words (a school year as every page says it, both languages);
#      ActivityType.certificate_number (a self-declared type's certificate number, as compared: the
#      school's other teachers' standing declarations naming the same one are told to the reviewers)
# 1.23: Setting(hours=True) (a number of hours: half-hour steps within 0..999.5, checked by the one
#      validator of settings and listed as multipleOf 0.5; refused at import off that grid)
#      ActivityType.private_details (a declaration's fields its peers do not read: policy.may_read_private,
#      nor a plugin's code drawing for them: render_details, page_fragment's ctx, the data hook asked for
#      it, Portal.activity on a page); Setting.read (a value saved off the half-hour grid before hours=True
#      reads down to the half hour); the school's rules of hours declared hours=True (0..999.5)
PROJECT_NAME = "portal"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------------------
# Activity types
# ---------------------------------------------------------------------------------------


@hookspec
def portal_activity_types() -> list[ActivityType]:
    """Return the activity types this plugin provides.

    Called once when the app is created, in registration order. Each item is an instance of
    a subclass of :class:`portal.activity_types.ActivityType`; its ``key`` must be unique
    across every installed plugin. A key already provided stays with the plugin registered
    first (built-ins before third parties, whatever the entry points are called); the
    newcomer is refused as a whole and reported with both plugins' names. A plugin whose
    hook raises, or any of whose types is refused, contributes nothing.

    :returns: a list of activity types (may be empty).

    Example::

        @hookimpl
        def portal_activity_types():
            return [Lecture()]
    """


# ---------------------------------------------------------------------------------------
# Workflow events
# ---------------------------------------------------------------------------------------


@hookspec
def portal_activity_transitioned(
    activity: ActivitySnapshot, trigger: str, from_state: str, to_state: str, actor_id: int, school_code: str
) -> None:
    """Called after a transition has been committed (state, log row and ledger entries).

    Use it for notifications or to feed another system. It runs after the commit, in
    registration order, so it cannot undo the transition; an exception here is logged with
    the plugin's name and does not reach the user.

    :param activity: the activity as it is after the transition.
    :param trigger: the trigger fired (``hold``, ``approve``, ``credit`` …).
    :param from_state: the state before.
    :param to_state: the state after.
    :param actor_id: id of the user who fired it.
    :param school_code: the activity's school.

    Example::

        @hookimpl
        def portal_activity_transitioned(activity, trigger, to_state):
            if trigger == "credit":  # core trigger names are part of the contract
                notify_district(activity.id)
    """


@hookspec
def portal_transition_data(activity_type: str, activity: ActivitySnapshot, portal: Portal) -> Mapping[str, Any] | None:
    """Supply the data of your own tables that your type's guards and page fragment need.

    Called whenever the portal builds a :class:`workflows.TransitionContext` for an activity of
    a type *this plugin provides* (other plugins are not asked): before the guards run when a
    trigger is fired — in the same database transaction, so the guards judge exactly what the
    transition commits — and for the activity page's fragment, then with the activity as the page's
    reader reads it (a peer's view of a declaration lacks its ``private_details``). What it returns becomes
    ``ctx.data``, a read-only mapping; return immutable values (numbers, tuples, frozen
    dataclasses). Guards then read ``ctx.data`` and never query the database themselves, so
    they stay plain functions tested on plain snapshots. Read through ``portal.session``; write
    nothing. A hook that raises is reported with the plugin's name and the trigger is refused
    (nothing changes), the page shows the fragment's notice instead.

    :param activity_type: the activity's type key (a plugin may provide several types).
    :param activity: the activity as it is before the trigger.
    :param portal: the plugin's :class:`portal.facade.Portal`.
    :returns: a mapping of names to values, or None for nothing.

    Example::

        @hookimpl
        def portal_transition_data(activity, portal):
            return {"logged_chars": logged_chars(portal.session, activity.id)}
    """


@hookspec
def portal_notify(notification: Outgoing, portal: Portal) -> None:
    """Deliver a notification somewhere else (WeCom, DingTalk, an SMS gateway …).

    Called by the background worker, once per notification and plugin, after the school's
    quiet hours, beside email. Raise to say "not delivered, try again later": the job is
    retried and only the plugins that have not delivered yet are called again (each plugin's
    delivery is recorded, so a retried job never delivers twice through the same plugin).

    :param notification: what to say and to whom: ``id``, ``key`` (unique, usable as an
        idempotency key on the other side), ``kind`` (``tomorrow``, ``evidence_due``,
        ``approved``, ``returned``, ``refused``, ``credited``, ``revoked``, ``absence_warning``),
        ``user_id``, ``username``, ``display_name``, ``school_code``, ``text`` (in the
        person's language), ``url`` (full link into the portal) and ``created_at`` (UTC).
    :param portal: the portal facade of this plugin (settings, session, phases).

    Example::

        @hookimpl
        def portal_notify(notification):
            requests.post(WEBHOOK, json={"msgtype": "text", "text": {"content": notification.text}},
                          timeout=5).raise_for_status()
    """


# ---------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def portal_assess_year(facts: YearFacts) -> Assessment | None:
    """Decide one teacher's status for a school year (``met``, ``short``,
    ``not_recognised``, ``exempt``).

    The first implementation to return an :class:`~portal.assessment.Assessment` wins; the
    last registered plugin is asked first, and the built-in default (the seeds' rules: 50
    hours, the 5-hour absence rule, the retirement age rule, school exemptions) is
    registered first and so is asked last. Return ``None`` to leave the decision to the
    next implementation. An implementation that raises, or returns anything but an
    Assessment with one of the four statuses and a ``reason`` of text (at most
    :data:`~portal.assessment.REASON_MOST` characters: a reason code, or words the pages show
    as they are), is reported with its plugin's name and the next implementation decides
    (ultimately the default).

    Decide from ``facts`` (and the plugin's own code) only: the teacher home and the school
    summary are cached until the school's data changes (``portal/page_cache.py``), so an
    answer that read other tables could be shown after those tables changed.

    :param facts: totals from the ledger and attendance for one teacher, school and year.
    :returns: an Assessment, or None.

    Example::

        @hookimpl
        def portal_assess_year(facts):
            if facts.total_hours >= 60:
                return Assessment("met")
            return None
    """


# ---------------------------------------------------------------------------------------
# Packaging: migrations and translations
# ---------------------------------------------------------------------------------------


@hookspec
def portal_migration_dirs() -> list[str]:
    """Return folders holding this plugin's Alembic revisions.

    A plugin with tables ships its revisions as its own branch (``branch_labels``) that
    ``depends_on`` the core's base revision; ``flask db upgrade`` applies the core and every
    installed plugin's branch (upgrade to ``heads``).

    Called when the app is created; ``flask db`` commands add the folders to Alembic's
    ``version_locations``.

    :returns: absolute paths of version folders.

    Example::

        @hookimpl
        def portal_migration_dirs():
            return [str(Path(__file__).parent / "migrations" / "versions")]
    """


@hookspec
def portal_translation_dirs() -> list[str]:
    """Return folders of gettext catalogs (``<dir>/<locale>/LC_MESSAGES/messages.mo``).

    They are added to Flask-Babel's translation directories, so a plugin translates its own
    labels and templates; a msgid of the core's catalogue keeps the core's text whatever a
    plugin's catalogue says (:func:`portal.i18n._core_first`). Called when the app is created.

    :returns: absolute paths.

    Example::

        @hookimpl
        def portal_translation_dirs():
            return [str(Path(__file__).parent / "translations")]
    """


@hookspec
def portal_template_dirs() -> list[str]:
    """Return folders of Jinja templates this plugin renders (for page fragments).

    :returns: absolute paths; templates in them are found by name, so prefix them with
        the plugin's key (``reading_club/notes.html``). They are searched after the core's
        templates, so a plugin cannot replace a core template.

    Example::

        @hookimpl
        def portal_template_dirs():
            return [str(Path(__file__).parent / "templates")]
    """


# ---------------------------------------------------------------------------------------
# Doors: a plugin's own pages and commands (contract 1.2)
# ---------------------------------------------------------------------------------------


@hookspec
def portal_register_routes(portal: Portal) -> Blueprint | list[Blueprint] | None:
    """Return the Flask blueprints of this plugin's own pages.

    The core mounts them at ``/x/<plugin name>`` (the plugin's registered name, its entry-point
    name), inside a blueprint of its own named ``x_<plugin name>``: a rule ``/notes`` of a
    blueprint ``notes`` of plugin ``lesson_study`` answers ``/x/lesson_study/notes``, endpoint
    ``x_lesson_study.notes.<view>``. A plugin cannot leave that prefix or clash with another's.
    Every route there requires a signed-in person; CSRF protection, the layout (extend
    ``base.html``), error pages and security headers are the portal's. Scope what you show to
    ``portal.require_school()`` / ``portal.activity(id)`` (404 for another school's) and ask
    ``portal.policy`` who may do what. Called once when the app is created. A hook that raises
    or returns something else is reported with the plugin's name; the portal starts without
    those pages.

    :param portal: the plugin's :class:`portal.facade.Portal` (session, school, actor, policy,
        phases, settings, ``tr``/``msg``).
    :returns: a Blueprint, a list of them, or None.

    Example::

        @hookimpl
        def portal_register_routes(portal):
            bp = Blueprint("notes", __name__, template_folder="templates")

            @bp.get("/activities/<int:activity_id>/notes")
            def notes(activity_id):
                act = portal.activity(activity_id)   # 404 unless of the viewer's school
                return render_template("lesson_study/notes.html", act=act)

            return bp
    """


@hookspec
def portal_register_commands(cli: click.Group, portal: Portal) -> None:
    """Add ``click`` commands to the ``flask`` command group (like datasette's ``register_commands``).

    Put them in a group named after the plugin (``flask lesson-study …``). A plugin that would
    replace a command already there is reported and that command is left as it was; a hook that
    raises is reported and its commands are not added. Commands run in an app context
    (``@with_appcontext`` is the default of ``app.cli``), as the operator.

    :param cli: the app's ``flask`` command group (``app.cli``).
    :param portal: the plugin's :class:`portal.facade.Portal`.
    :returns: nothing.

    Example::

        @hookimpl
        def portal_register_commands(cli, portal):
            @cli.group("lesson-study")
            def group():  # 同课异构 lesson study
                pass

            @group.command("notes")
            @click.argument("activity_id", type=int)
            def notes(activity_id):
                click.echo(activity_id)
    """


def all_hook_names() -> list[str]:
    """Names of every hook in this contract (for meta-tests and docs)."""
    return sorted(n for n, v in globals().items() if n.startswith("portal_") and callable(v))


__all__: list[Any] = ["CONTRACT_VERSION", "all_hook_names", "hookimpl", "hookspec"]

"""The portal's own forms (Flask-WTF: CSRF on). Rules stay in the services; these forms
only carry and re-display what the user typed, plus the errors the services report."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget, Select, html_params

from portal.errors import Invalid
from portal.school_rules import SCHOOL_RULES
from portal.services.activities import ALLOWED_UPLOADS
from portal.web.escaping import html_text


class PlainSelect(Select):
    """wtforms' ``Select`` with the same markup, for a field of many plain options (the
    evidence form's "for": everyone taking part, sixty on a big activity): each option written
    in one f-string, where ``Select.render_option`` built a ``Choice``, a dict of attributes,
    ``html_params`` and two escapes per option (about twenty calls). A field with any option
    that is not plain (an optgroup, attributes of its own, a ``True``/``False`` value, a label
    or value that is not a ``str`` or ``int``) is written by ``Select`` itself."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        choices = field.choices
        if self.multiple or not isinstance(choices, list) or not all(_plain(c) for c in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        coerce, data = field.coerce, field.data
        for c in choices:
            value = c.value
            label = c.label or value
            html.append(
                f'<option {"selected " if coerce(value) == data else ""}value="{html_text(str(value))}">'
                f"{html_text(label) if type(label) is str else escape(label)}</option>"
            )
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 (every value and label escaped above)


def _plain(choice: Any) -> bool:
    """An option ``Select.render_option`` writes as ``<option [selected ]value="…">label</option>``."""
    return (isinstance(choice, SelectChoice) and choice.optgroup is None and not choice.render_kw
            and type(choice.value) in (str, int) and type(choice.label) in (str, int))


#: A phone's keyboard neither capitalises nor corrects a username, and its password manager
#: knows which field is which (``_form.html`` gives other password fields ``autocomplete=off``)
USERNAME_INPUT = {"autocomplete": "username", "autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)], render_kw=USERNAME_INPUT)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "new-password"})


DATETIME_INPUT = {"type": "text", "placeholder": "2026-12-04 14:00", "autocomplete": "off", "data-date-input": "datetime"}
DATE_INPUT = {"type": "text", "placeholder": "2026-12-04", "autocomplete": "off", "data-date-input": "date"}


class TimesForm(FlaskForm):
    """An activity's start and end: planning it, and moving it to another time."""

    # text, not the browser's datetime-local: it shows dates in the browser's locale (12/04/2026);
    # 2026-12-04 14:00 and 2026年12月4日 14:00 are both accepted (timeutil.iso_local_text)
    starts_at = StringField(_l("Starts"), validators=[DataRequired()], render_kw=DATETIME_INPUT)
    ends_at = StringField(_l("Ends"), validators=[DataRequired()], render_kw=DATETIME_INPUT)


class ActivityForm(TimesForm):
    """The core fields of every activity; the type's own form is rendered beside it."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    hours = StringField(_l("Hours"), validators=[DataRequired()], render_kw={"inputmode": "decimal"})
    location = StringField(_l("Location"), validators=[Length(max=200)])


class EvidenceForm(FlaskForm):
    user_id = SelectField(_l("For"), coerce=int, widget=PlainSelect())
    kind = SelectField(_l("Kind"))
    title = StringField(_l("Title"), validators=[Length(max=200)])
    text = TextAreaField(_l("Written text"))
    # the kinds the portal keeps (services.activities.ALLOWED_UPLOADS): a phone's picker offers
    # those, and an iPhone hands its HEIC photo over as a JPEG when the list has no HEIC
    file = FileField(_l("File"), render_kw={"accept": ",".join(sorted(ALLOWED_UPLOADS))})


class TriggerForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    # the activity's version the page showed (``transitions.fire``'s ``seen_version``). Its label
    # is never shown; without one wtforms asks its own catalogue for "Version", and Flask-WTF
    # reads that catalogue's .mo file from disk once per request: a tenth of the activity page
    version = HiddenField(label="")


class RulesForm(FlaskForm):
    # labelled by the rules' declarations (``portal.school_rules``), as the other rules' fields
    # and the audit log's lines of a change are: one wording of each rule
    required_hours = StringField(SCHOOL_RULES["required_hours"].label, render_kw={"inputmode": "decimal"})
    absence_limit_hours = StringField(SCHOOL_RULES["absence_limit_hours"].label, render_kw={"inputmode": "decimal"})


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[Length(max=100)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired()])
    roles = MultiCheckboxField(_l("Roles"))
    gender = SelectField(
        _l("Gender"), choices=[SelectChoice("", "—"), SelectChoice("F", _l("Female")), SelectChoice("M", _l("Male"))]
    )
    birth_date = StringField(_l("Birth date"), render_kw={**DATE_INPUT, "placeholder": "1980-05-01"})


class RosterForm(FlaskForm):
    file = FileField(_l("Roster file (CSV or XLSX)"))


class ConfirmForm(FlaskForm):
    """A bare form for buttons: only the CSRF token."""


class TypeToggleForm(FlaskForm):
    enabled = BooleanField(_l("Enabled"))


def apply_errors(form: Any, error: Invalid, aliases: dict[str, str] | None = None) -> list[str]:
    """Put a service's field errors beside the form's fields; return the ones with no field."""
    leftover: list[str] = []
    for name, message in error.fields.items():
        target = (aliases or {}).get(name, name)
        messages = message if isinstance(message, list) else [message]
        field = form[target] if target in getattr(form, "_fields", {}) else None
        if field is None:
            leftover.extend(f"{name}: {m}" for m in messages)
        else:
            field.errors = list(field.errors or []) + [str(m) for m in messages]
    return leftover

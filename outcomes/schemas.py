"""Marshmallow schemas: the only door for input. Forms and JSON share them."""

from datetime import date

from marshmallow import Schema as MarshmallowSchema
from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema

from . import fft, gas, sen
from .scorecard import MEASURES

NOTES_MAX = 10_000
MAX_TARGETS = 12
OUTCOMES = ("met", "partly_met", "not_met", "withdrawn")
LEVEL_ERROR = "Choose a level from \u22122 (no change or worse) to +2 (much more than expected)."


# SQLite's integers are signed 64-bit; a bigger one would crash the query instead of being refused.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Schema(MarshmallowSchema):
    """Every schema here: a whole number that SQLite cannot hold is refused, naming its field."""

    @validates_schema
    def _integers_fit_sqlite(self, data, **kwargs):
        errors = {}
        for name, field in self.fields.items():
            value = data.get(field.attribute or name)
            if isinstance(field, (fields.Integer, fields.List)) and any(
                isinstance(v, int) and not INT64_MIN <= v <= INT64_MAX
                for v in (value if isinstance(value, list) else [value])
            ):
                errors[field.data_key or name] = ["This number is too large."]
        if errors:
            raise ValidationError(errors)


def not_in_future(value):
    if value > date.today():
        raise ValidationError("The date cannot be in the future.")


class ReadingsField(fields.Field):
    """domain key -> a whole-number score, or {"not_assessed": "reason"}.

    Range and reason checks need the star, so reviews.check_readings does them.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Give a reading for each domain as {domain: score}.")
        readings, errors = {}, {}
        for key, reading in value.items():
            if isinstance(reading, int) and not isinstance(reading, bool):
                readings[key] = {"score": reading, "not_assessed_reason": None}
            elif (
                isinstance(reading, dict)
                and set(reading) == {"not_assessed"}
                and isinstance(reading["not_assessed"], str)
            ):
                # An empty reason is reported with the star's other checks, all at once.
                readings[key] = {"score": None, "not_assessed_reason": reading["not_assessed"].strip()}
            else:
                errors[key] = [
                    "A reading must be a whole number on the star's scale, or not assessed with a reason."
                ]
        if errors:
            raise ValidationError(errors)
        return readings


def _weight(name):
    """A target's importance or difficulty (goal attainment scaling): 1, 2 or 3, or left out."""
    return fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=3, error=f"Choose the {name} from 1 to 3, or leave it blank."),
        error_messages={"invalid": f"Choose the {name} from 1 to 3, or leave it blank."},
    )


class TargetSchema(Schema):
    domain = fields.String(required=True)
    description = fields.String(required=True, validate=validate.Length(min=3, max=1000))
    target_score = fields.Integer(required=True, strict=True)
    due_date = fields.Date(load_default=None)
    importance = _weight("importance")
    difficulty = _weight("difficulty")


class TargetOutcomeSchema(Schema):
    """A target closed: its goal attainment level (-2..+2), or an outcome, or both when they agree.

    Met, partly met and not met are read off the level; an outcome sent alone is taken at its
    plainest level (met 0, partly met -1, not met -2). A withdrawn target has no level.
    """

    target_id = fields.Integer(required=True, strict=True)
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))
    gas_level = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=-2, max=2, error=LEVEL_ERROR),
        error_messages={"invalid": LEVEL_ERROR},
    )
    reason = fields.String(load_default=None, validate=validate.Length(max=1000))

    @validates_schema
    def withdrawn_needs_reason(self, data, **kwargs):
        if data.get("outcome") == "withdrawn" and not (data.get("reason") or "").strip():
            raise ValidationError("Say why the target was withdrawn.", "reason")

    @validates_schema
    def level_and_outcome_agree(self, data, **kwargs):
        outcome, level = data.get("outcome"), data.get("gas_level")
        if outcome is None and level is None:
            raise ValidationError("Choose the level the target was achieved at, or withdraw it.", "gas_level")
        if outcome == "withdrawn" and level is not None:
            raise ValidationError("A withdrawn target has no attainment level.", "gas_level")
        if outcome not in (None, "withdrawn") and level is not None and gas.outcome_of(level) != outcome:
            means = gas.outcome_of(level).replace("_", " ")
            raise ValidationError(
                f"Level {level:+d} means {means}, not {outcome.replace('_', ' ')}.", "gas_level"
            )

    @post_load
    def both(self, data, **kwargs):
        if data.get("gas_level") is not None:
            data["outcome"] = gas.outcome_of(data["gas_level"])
        elif data.get("outcome") is not None:
            data["gas_level"] = gas.level_of(data["outcome"])
        return data


class ChildViewSchema(Schema):
    """The child's own view: how many faces they chose from, and a face for each domain they rated."""

    faces = fields.Integer(
        required=True,
        strict=True,
        validate=validate.OneOf((3, 5), error="Choose a scale of 3 or 5 faces."),
        error_messages={"required": "Say whether the child chose from 3 or 5 faces."},
    )
    readings = fields.Dict(
        keys=fields.String(validate=validate.Length(max=50)),
        values=fields.Raw(),
        required=True,
        error_messages={"required": "Give the child's face for each domain they rated."},
    )

    @validates_schema
    def faces_on_the_scale(self, data, **kwargs):
        faces, readings = data.get("faces"), data.get("readings")
        if faces is None or readings is None:
            return
        if not readings:
            raise ValidationError("Give at least one face, or leave the child's view out.", "readings")
        problems = {
            key: [f"Choose a face from 1 (saddest) to {faces} (happiest)."]
            for key, face in readings.items()
            if isinstance(face, bool) or not isinstance(face, int) or not 1 <= face <= faces
        }
        if problems:
            raise ValidationError({"readings": problems})


class ReviewSchema(Schema):
    """A review as the form and POST /api/v1/reviews send it."""

    uuid = fields.UUID(required=True)
    child_id = fields.Integer(required=True, strict=True)
    service = fields.String(required=True, validate=validate.Length(max=50))
    date = fields.Date(required=True, validate=not_in_future)
    readings = ReadingsField(required=True)
    targets = fields.List(
        fields.Nested(TargetSchema),
        load_default=list,
        validate=validate.Length(max=MAX_TARGETS, error=f"Set at most {MAX_TARGETS} targets in one review."),
    )
    target_outcomes = fields.List(
        fields.Nested(TargetOutcomeSchema), load_default=list, validate=validate.Length(max=100)
    )
    notes = fields.String(load_default="", validate=validate.Length(max=NOTES_MAX))
    internal_notes = fields.String(load_default="", validate=validate.Length(max=NOTES_MAX))
    child_view = fields.Nested(ChildViewSchema, load_default=None, allow_none=True)
    submit = fields.Boolean(load_default=False)


class WithdrawalSchema(Schema):
    """Why a review entered in error is withdrawn."""

    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=1000, error="Say in 3 to 1000 characters why it is withdrawn."),
        error_messages={"required": "Say why this review is withdrawn."},
    )


class AmendmentSchema(Schema):
    """An amendment to a submitted review: new readings, notes, date and outcomes, and why.

    The date and the outcomes are optional in the API: left out, they stay as they were.
    """

    date = fields.Date(validate=not_in_future)
    target_outcomes = fields.List(fields.Nested(TargetOutcomeSchema), validate=validate.Length(max=100))
    readings = ReadingsField(required=True)
    notes = fields.String(load_default="", validate=validate.Length(max=NOTES_MAX))
    internal_notes = fields.String(load_default="", validate=validate.Length(max=NOTES_MAX))
    amendment_reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000))

    @validates("email")
    def looks_like_email(self, value, **kwargs):
        if "@" not in value:
            raise ValidationError("Enter your email address, like name@example.org.")


# --- Admin: services, stars, people, children and caseloads, import, audit -------------------

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,29}$"
KEY_MESSAGE = "Use 2 to 30 lower-case letters, digits or underscores, starting with a letter."
STAFF_ROLES = ("practitioner", "manager", "admin")


class FlexibleDate(fields.Date):
    """A date as YYYY-MM-DD or, as UK case-management exports write it, DD/MM/YYYY."""

    default_error_messages = {"invalid": "Enter a real date as YYYY-MM-DD or DD/MM/YYYY."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and "/" in value:
            parts = value.strip().split("/")
            # isascii: '²' and '２' pass isdigit() but not int().
            if len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts) and len(parts[2]) == 4:
                value = f"{parts[2]}-{int(parts[1]):02d}-{int(parts[0]):02d}"
        return super()._deserialize(value, attr, data, **kwargs)


class SenCode(fields.String):
    """A SEN code typed as the code (any case) or its plain words; blank means not recorded."""

    def __init__(self, parse, message, **kwargs):
        super().__init__(load_default=None, allow_none=True, **kwargs)
        self.parse, self.message = parse, message

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.parse(super()._deserialize(value, attr, data, **kwargs))
        except ValueError:
            raise ValidationError(self.message) from None


def valid_nhs_number(value):
    from .nhs import is_valid

    digits = value.replace(" ", "")
    if not (len(digits) == 10 and digits.isdigit()):
        raise ValidationError("An NHS number has 10 digits.")
    if not is_valid(digits):
        raise ValidationError("This NHS number's check digit is wrong: check the number for a typing error.")


def _required(message):
    return {"required": message}


class ServiceSchema(Schema):
    key = fields.String(
        required=True,
        validate=validate.Regexp(KEY_PATTERN, error=KEY_MESSAGE),
        error_messages=_required("Enter a short key for the service, like slt."),
    )
    name = fields.String(
        required=True,
        validate=validate.Length(min=2, max=100),
        error_messages=_required("Enter the service's name."),
    )
    review_interval_days = fields.Integer(
        load_default=182,
        validate=validate.Range(min=7, max=730, error="Choose an interval from 7 to 730 days."),
        error_messages={"invalid": "Enter the interval as a whole number of days."},
    )


class ServiceUpdateSchema(ServiceSchema):
    review_interval_days = fields.Integer(
        required=True,
        validate=validate.Range(min=7, max=730, error="Choose an interval from 7 to 730 days."),
        error_messages={
            "invalid": "Enter the interval as a whole number of days.",
            "required": "Enter the review interval in days.",
        },
    )

    class Meta:
        exclude = ("key",)


class StarDomainSchema(Schema):
    key = fields.String(load_default=None, validate=validate.Regexp(KEY_PATTERN, error=KEY_MESSAGE))
    label = fields.String(
        required=True,
        validate=validate.Length(min=2, max=60, error="Give the domain a label of 2 to 60 characters."),
        error_messages=_required("Give the domain a short label."),
    )
    description = fields.String(
        required=True,
        validate=validate.Length(
            min=10, max=400, error="Write a description of 10 to 400 characters that a parent understands."
        ),
        error_messages=_required("Describe the domain in words a parent understands."),
    )
    position = fields.Integer(
        load_default=None, error_messages={"invalid": "Give the position as a whole number."}
    )
    # Read aloud to the child in the child's view; left empty, the child hears the label.
    child_wording = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            max=120, error="Keep the words for the child to 120 characters, short enough to read aloud."
        ),
    )

    @validates("child_wording")
    def child_wording_has_words(self, value, **kwargs):
        if value and len(value.strip()) < 3:
            raise ValidationError("Write at least 3 characters for the child, or leave it empty.")


class StarSchema(Schema):
    """A star's content: its name, scale, the names of its five stages and 4 to 12 domains."""

    key = fields.String(load_default=None, validate=validate.Regexp(KEY_PATTERN, error=KEY_MESSAGE))
    name = fields.String(
        required=True,
        validate=validate.Length(min=3, max=80),
        error_messages=_required("Give the star a name."),
    )
    scale_min = fields.Integer(load_default=1, validate=validate.Range(min=0, max=10))
    scale_max = fields.Integer(load_default=10, validate=validate.Range(min=4, max=20))
    # The smallest change in a child's mean score that counts as meaningful on the scorecard; left
    # out, a star keeps the one it has (a new star: 1 point).
    meaningful_change = fields.Float(
        load_default=None,
        allow_nan=False,
        validate=validate.Range(
            min=0, min_inclusive=False, error="The meaningful change must be more than 0 points."
        ),
        error_messages={
            "invalid": "Give the meaningful change as a number of points, like 1 or 1.5.",
            "special": "Give the meaningful change as a number of points, like 1 or 1.5.",
        },
    )
    stages = fields.List(
        fields.String(
            validate=validate.Length(min=2, max=40, error="Give each stage a name of 2 to 40 characters.")
        ),
        required=True,
        validate=validate.Length(equal=5, error="Name all five stages."),
        error_messages=_required("Name all five stages."),
    )
    domains = fields.List(
        fields.Nested(StarDomainSchema),
        required=True,
        validate=validate.Length(min=4, max=12, error="A star has from 4 to 12 domains."),
        error_messages=_required("A star has from 4 to 12 domains."),
    )

    @validates_schema
    def scale_fits_five_stages(self, data, **kwargs):
        if data["scale_max"] - data["scale_min"] + 1 < 5:
            raise ValidationError("The scale needs at least five points, one for each stage.", "scale_max")

    @validates_schema
    def meaningful_change_within_scale(self, data, **kwargs):
        change, span = data.get("meaningful_change"), data["scale_max"] - data["scale_min"]
        if change is not None and change > span:
            raise ValidationError(
                f"The meaningful change can be at most the scale's range, {span} points.", "meaningful_change"
            )

    @validates_schema
    def domain_keys_unique(self, data, **kwargs):
        from .stars import slug

        seen, problems = {}, {}
        for index, domain in enumerate(data.get("domains") or []):
            key = domain.get("key") or slug(domain.get("label", ""))
            if key in seen:
                problems[index] = {"label": [f"Two domains would share the key {key!r}: change this label."]}
            seen[key] = index
        if problems:
            raise ValidationError({"domains": problems})


class StaffSchema(Schema):
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        error_messages={
            "required": "Enter their work email address.",
            "invalid": "Enter an email address, like name@example.org.",
        },
    )
    name = fields.String(
        required=True, validate=validate.Length(min=2, max=100), error_messages=_required("Enter their name.")
    )
    role = fields.String(
        required=True,
        validate=validate.OneOf(STAFF_ROLES, error="Choose a role."),
        error_messages=_required("Choose a role."),
    )
    practitioner_of = fields.List(fields.Integer(), load_default=list)
    manager_of = fields.List(fields.Integer(), load_default=list)


class StaffUpdateSchema(StaffSchema):
    class Meta:
        exclude = ("email",)


class PasswordResetSchema(Schema):
    password = fields.String(
        required=True,
        validate=validate.Length(min=10, max=1000, error="Use at least 10 characters."),
        error_messages=_required("Choose a password of at least 10 characters."),
    )
    confirm = fields.String(required=True, error_messages=_required("Type the password again."))

    @validates_schema
    def passwords_match(self, data, **kwargs):
        if data.get("password") != data.get("confirm"):
            raise ValidationError("The two passwords are different.", "confirm")


class ChildSchema(Schema):
    given_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        error_messages=_required("Enter the child's given name."),
    )
    family_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        error_messages=_required("Enter the child's family name."),
    )
    date_of_birth = FlexibleDate(
        required=True, validate=not_in_future, error_messages=_required("Enter the child's date of birth.")
    )
    nhs_number = fields.String(load_default=None, validate=valid_nhs_number)
    local_id = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    sen_status = SenCode(
        sen.status_code, "SEN status must be EHC plan (ehc_plan), SEN support (sen_support) or No SEN (none)."
    )
    primary_need = SenCode(
        sen.need_code, "Primary need must be one of the SEN2 codes: " + ", ".join(sen.SEN2_NEEDS) + "."
    )

    @validates("date_of_birth")
    def plausible_birth(self, value, **kwargs):
        if value.year < 1990:
            raise ValidationError("The date of birth is too long ago for a children's service.")


class CaseloadEntrySchema(Schema):
    service_id = fields.Integer(required=True, error_messages=_required("Choose a service."))
    practitioner_id = fields.Integer(load_default=None)
    started_on = FlexibleDate(load_default=None, validate=not_in_future)


class NewChildOnCaseloadSchema(ChildSchema, CaseloadEntrySchema):
    """The admin's 'add a child to this caseload' form: the child and the caseload entry."""


class ExistingChildOnCaseloadSchema(CaseloadEntrySchema):
    child = fields.String(
        required=True,
        validate=validate.Length(min=1, max=50),
        error_messages=_required("Enter the child's record number, NHS number or local id."),
    )


class PublishSchema(Schema):
    service_id = fields.Integer(
        load_default=None, error_messages={"invalid": "Choose a service from the list."}
    )


class ActiveSchema(Schema):
    active = fields.Boolean(required=True, error_messages=_required("Say whether the account is active."))


class ImportConfirmSchema(Schema):
    upload_id = fields.Integer(
        required=True,
        error_messages={"required": "Upload the file again.", "invalid": "Upload the file again."},
    )


class MoveSchema(Schema):
    practitioner_id = fields.Integer(load_default=None)


class DischargeSchema(Schema):
    discharged_on = FlexibleDate(load_default=None, validate=not_in_future)


class ImportRowSchema(ChildSchema):
    """One row of the children import CSV (columns documented in docs/admin.md)."""

    service = fields.String(
        required=True,
        validate=validate.Length(max=100),
        error_messages=_required("Give the service's key or name."),
    )
    practitioner_email = fields.Email(load_default=None, error_messages={"invalid": "Not an email address."})
    started_on = FlexibleDate(load_default=None, validate=not_in_future)

    @validates_schema
    def some_identifier(self, data, **kwargs):
        if not data.get("nhs_number") and not data.get("local_id"):
            raise ValidationError(
                "Give an NHS number or a local id, so the child can be matched next time.", "nhs_number"
            )


class AuditFilterSchema(Schema):
    user_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose a person from the list."})
    child = fields.String(load_default=None, validate=validate.Length(max=50))
    date_from = FlexibleDate(load_default=None)
    date_to = FlexibleDate(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))

    @validates_schema
    def range_in_order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("The end date is before the start date.", "date_to")


# --- Families: accepting an invitation, the family's view of a review ---------------------------


class InvitationAcceptSchema(PasswordResetSchema):
    """A parent or carer accepting an invitation: the code, and the account to use."""

    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        error_messages=_required("Enter the invitation code from the practitioner."),
    )
    name = fields.String(load_default="", validate=validate.Length(max=100))
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address, like name@example.org.",
        },
    )


class InvitationEmailSchema(Schema):
    """Emailing an invitation just made: its code (shown on the page) and the parent's address."""

    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        error_messages=_required("Make a new invitation: this page's code is missing."),
    )
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        error_messages={
            "required": "Enter the parent's or carer's email address.",
            "invalid": "Enter an email address, like name@example.org.",
        },
    )


class ReviewNoticesSchema(Schema):
    """A family's choice: an email when a new review of their child is published, or none."""

    review_notices = fields.Boolean(
        load_default=False, error_messages={"invalid": "Tick the box for emails, or leave it empty for none."}
    )


class FamilyViewSchema(Schema):
    """The family's view of a review: the Friends and Family Test answer with what was good and
    what could be better, a comment, and their own reading per domain (optional)."""

    answer = fields.String(
        required=True,
        validate=validate.OneOf(
            [key for key, _, _ in fft.ANSWERS],
            error="Choose one of the answers, from \u201cVery good\u201d to \u201cDon't know\u201d.",
        ),
        error_messages={
            "required": "Say how your experience of the service was (or choose \u201cDon't know\u201d).",
            "invalid": "Choose one of the answers, from \u201cVery good\u201d to \u201cDon't know\u201d.",
        },
    )
    what_was_good = fields.String(
        load_default="", validate=validate.Length(max=2000, error="Keep this under 2,000 characters.")
    )
    could_be_better = fields.String(
        load_default="", validate=validate.Length(max=2000, error="Keep this under 2,000 characters.")
    )
    comment = fields.String(
        load_default="", validate=validate.Length(max=2000, error="Keep the comment under 2,000 characters.")
    )
    readings = fields.Dict(
        keys=fields.String(validate=validate.Length(max=50)),
        values=fields.Integer(error_messages={"invalid": "A reading is a whole number on the star's scale."}),
        load_default=dict,
    )


# --- Scorecard: the feed's query and the managers' period picker -------------------------------


class PeriodField(fields.Field):
    """A financial quarter ('2025-26 Q3') or year ('2025-26'), loaded as a periods.Period."""

    def _deserialize(self, value, attr, data, **kwargs):
        from .periods import parse

        try:
            return parse(value if isinstance(value, str) else "")
        except ValueError as error:
            raise ValidationError(str(error)) from error


class ScorecardQuerySchema(Schema):
    """GET /api/v1/scorecard's query string. The service key is checked against the database."""

    period = PeriodField(
        required=True,
        error_messages=_required(
            "Give a period: a financial quarter such as '2025-26 Q3' or a financial year such as '2025-26'."
        ),
    )
    service = fields.String(load_default=None, validate=validate.Length(max=50))
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(
            ("json", "csv", "dhis2"), error="Give format=json (the default), format=csv or format=dhis2."
        ),
    )
    breakdown = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ("age_band", "sen_status", "primary_need"),
            error="Give breakdown=age_band, breakdown=sen_status or breakdown=primary_need (or none).",
        ),
    )


class RegionQuerySchema(Schema):
    """The regional view's one choice: which measure to compare (targets met, if none)."""

    measure = fields.String(
        load_default="pct_targets_met",
        validate=validate.OneOf(
            [name for name, _, _, _ in MEASURES], error="Choose one of the scorecard's measures."
        ),
    )


class ManagerPeriodSchema(Schema):
    """The managers' dashboard, CSV and report: which period (the last complete quarter if none)."""

    period = PeriodField(load_default=None)
    breakdown = fields.String(
        load_default="none",
        validate=validate.OneOf(
            ("none", "age_band", "sen_status", "primary_need"),
            error="Choose the breakdown from the list: none, age band, SEN status or primary need.",
        ),
    )


class FeedbackQuerySchema(Schema):
    """The families' feedback page: which period (the last complete quarter if none) and service."""

    period = PeriodField(load_default=None)
    service = fields.String(load_default=None, validate=validate.Length(max=50))


class ErasureConfirmSchema(Schema):
    """The erasure page's confirmation: the record number typed again (checked against the page's)."""

    confirm = fields.String(
        required=True,
        validate=validate.Length(max=20),
        error_messages={"required": "Type the record number to confirm."},
    )


class InvitationRevokeSchema(Schema):
    invitation_id = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=1, max=2**62),
        error_messages={"required": "Choose an invitation."},
    )


class CaseloadQuerySchema(Schema):
    """The caseload page's search, sort, filter and page (all in the query string, so it works
    without JavaScript and a link keeps the view)."""

    service = fields.String(load_default=None, validate=validate.Length(max=50))
    q = fields.String(
        load_default="", validate=validate.Length(max=100, error="Search for at most 100 letters.")
    )
    scope = fields.String(
        load_default="mine",
        validate=validate.OneOf(("mine", "service"), error="Choose your children or the whole caseload."),
    )
    sort = fields.String(
        load_default="name", validate=validate.OneOf(("name", "due"), error="Sort by due date or by name.")
    )
    show = fields.String(
        load_default="all",
        validate=validate.OneOf(
            ("all", "due_soon", "overdue"), error="Show all, due in the next 4 weeks, or overdue."
        ),
    )
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100_000, error="Give a page number from 1."),
        error_messages={"invalid": "Give a page number from 1."},
    )

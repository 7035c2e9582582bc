"""Marshmallow schemas: the only door for input. Forms and JSON share them."""
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

NOTES_MAX = 10_000
OUTCOMES = ("met", "partly_met", "not_met", "withdrawn")


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
            elif isinstance(reading, dict) and set(reading) == {"not_assessed"} and isinstance(
                reading["not_assessed"], str
            ):
                # An empty reason is reported with the star's other checks, all at once.
                readings[key] = {"score": None, "not_assessed_reason": reading["not_assessed"].strip()}
            else:
                errors[key] = ["A reading must be a whole number on the star's scale, or not assessed with a reason."]
        if errors:
            raise ValidationError(errors)
        return readings


class TargetSchema(Schema):
    domain = fields.String(required=True)
    description = fields.String(required=True, validate=validate.Length(min=3, max=1000))
    target_score = fields.Integer(required=True, strict=True)
    due_date = fields.Date(load_default=None)


class TargetOutcomeSchema(Schema):
    target_id = fields.Integer(required=True, strict=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = fields.String(load_default=None, validate=validate.Length(max=1000))

    @validates_schema
    def withdrawn_needs_reason(self, data, **kwargs):
        if data.get("outcome") == "withdrawn" and not (data.get("reason") or "").strip():
            raise ValidationError("Say why the target was withdrawn.", "reason")


class ReviewSchema(Schema):
    """A review as the form and POST /api/v1/reviews send it."""

    uuid = fields.UUID(required=True)
    child_id = fields.Integer(required=True, strict=True)
    service = fields.String(required=True, validate=validate.Length(max=50))
    date = fields.Date(required=True, validate=not_in_future)
    readings = ReadingsField(required=True)
    targets = fields.List(fields.Nested(TargetSchema), load_default=list)
    target_outcomes = fields.List(fields.Nested(TargetOutcomeSchema), load_default=list)
    notes = fields.String(load_default="", validate=validate.Length(max=NOTES_MAX))
    internal_notes = fields.String(load_default="", validate=validate.Length(max=NOTES_MAX))
    submit = fields.Boolean(load_default=False)


class AmendmentSchema(Schema):
    """An amendment to a submitted review: new readings and notes, and why."""

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

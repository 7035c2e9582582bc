"""The OpenAPI 3.1 document served at /api/v1/openapi.json: the scorecard feed and the reviews API."""

ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def _uuid_parameter():
    return {"name": "uuid", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def _figure_schema():
    return {
        "type": "object",
        "required": ["perspective", "value", "suppressed", "reason"],
        "properties": {
            "perspective": {"type": "string", "enum": ["compliance", "impact", "effectiveness"]},
            "value": {
                "type": ["number", "null"],
                "description": "null when withheld or when there is nothing to measure; counts are rounded "
                "as the disclosure policy says (nhs: to the nearest 5)",
            },
            "suppressed": {
                "type": "boolean",
                "description": "true when the disclosure policy withholds the figure",
            },
            "reason": {
                "type": ["string", "null"],
                "enum": ["small_count", "secondary", "no_data", None],
                "description": "small_count: a count from 1 to withhold_below-1, or a rate/mean over fewer "
                "than withhold_below; secondary: withheld so that a small number cannot be worked out "
                "from published figures; no_data: nothing happened (value null, not suppressed); "
                "null when published",
            },
        },
    }


def _measures_schema(names):
    return {
        "type": "object",
        "properties": {name: {"$ref": "#/components/schemas/Figure"} for name in names},
        "additionalProperties": False,
    }


def document(measures):
    """The document; `measures` is scorecard.MEASURES so the two never drift apart."""
    service_measures = [name for name, *_ in measures]
    domain_measures = [
        "children_with_progress_data",
        "mean_distance_travelled",
        "pct_children_improved",
        "pct_children_meaningful_improvement",
        "pct_children_meaningful_decline",
        "pct_family_view_agreement",
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SEND outcomes tracker API",
            "version": "1",
            "description": "The balanced-scorecard feed for the area's scorecard spreadsheet or BI tool, "
            "and the reviews API the practitioners' tablets use. Measures are defined "
            "in DESIGN.md; every figure goes through one disclosure control policy.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/scorecard": {
                "get": {
                    "operationId": "getScorecard",
                    "summary": "The scorecard of one financial quarter or year, per service",
                    "security": [{"bearerToken": []}],
                    "parameters": [
                        {
                            "name": "period",
                            "in": "query",
                            "required": True,
                            "description": "A UK financial quarter ('2025-26 Q3' = Oct–Dec 2025) or year "
                            "('2025-26' = 1 April 2025 – 31 March 2026).",
                            "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}( Q[1-4])?$"},
                        },
                        {
                            "name": "service",
                            "in": "query",
                            "required": False,
                            "description": "One service's key (e.g. slt); every current service when absent.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "breakdown",
                            "in": "query",
                            "required": False,
                            "description": "Add rows per group of children: age band at the period's end "
                            "(0-4, 5-10, 11-15, 16-25, unknown), SEN status or SEN2 primary need "
                            "('unknown' when not recorded). The groups add up to the service's figures and "
                            "go through the same disclosure policy.",
                            "schema": {"type": "string", "enum": ["age_band", "sen_status", "primary_need"]},
                        },
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The scorecard. CSV: one row per period × service × domain "
                            "(blank for service-wide) × measure.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Scorecard"}},
                                "text/csv": {
                                    "schema": {"type": "string"},
                                    "example": "period,period_start,period_end,service,domain,measure,"
                                    "perspective,value,suppressed,reason,breakdown,group\r\n",
                                },
                            },
                        },
                        "400": _error(
                            "Unknown period, service or format; the message says what is accepted."
                        ),
                        "401": _error("Missing, unknown or revoked token."),
                    },
                }
            },
            "/reviews": {
                "post": {
                    "operationId": "createReview",
                    "summary": "Store a review once per client-generated UUID",
                    "description": "For a signed-in practitioner (session cookie) "
                    "with the X-CSRFToken header. "
                    "A re-send with the same UUID and content returns the stored review (200).",
                    "security": [{"session": [], "csrf": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ReviewInput"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Stored",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Review"}}
                            },
                        },
                        "200": {
                            "description": "Already stored with this content",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Review"}}
                            },
                        },
                        "400": _error("Not a JSON object, or the CSRF token is missing."),
                        "401": _error("Not signed in."),
                        "403": _error("Not a practitioner."),
                        "409": {
                            "description": "A different review is stored under this UUID, or a review "
                            "of this child by this service on this date is already recorded (one a "
                            "day): `uuid` and `url` name the stored review, to amend it instead.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Conflict"}}
                            },
                        },
                        "413": _error("The body is larger than 256 KB."),
                        "422": {
                            "description": "Bad input: one message list per field (dotted paths), in the "
                            "form's order, and `labels`: what the form calls each field",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ValidationErrors"}
                                }
                            },
                        },
                    },
                }
            },
            "/reviews/{uuid}/withdrawal": {
                "post": {
                    "operationId": "withdrawReview",
                    "summary": "Withdraw a review entered in error",
                    "description": "Its author or an admin (session and X-CSRFToken). The review stays "
                    "in the history, marked withdrawn with the reason, who and when, and stops "
                    "counting everywhere; targets it set are withdrawn and outcomes it recorded "
                    "re-open. Withdrawing again returns the withdrawn review.",
                    "security": [{"session": [], "csrf": []}],
                    "parameters": [_uuid_parameter()],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["reason"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "reason": {"type": "string", "minLength": 3, "maxLength": 1000}
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Withdrawn",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Review"}}
                            },
                        },
                        "400": _error("Not a JSON object, or the CSRF token is missing."),
                        "401": _error("Not signed in."),
                        "404": _error("No review with this UUID that you may withdraw."),
                        "409": _error("A draft or an earlier version: discard a draft instead."),
                        "413": _error("The body is larger than 256 KB."),
                        "422": {
                            "description": "No reason given",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ValidationErrors"}
                                }
                            },
                        },
                    },
                }
            },
            "/reviews/{uuid}": {
                "delete": {
                    "operationId": "discardDraft",
                    "summary": "Discard a draft review (its author only)",
                    "security": [{"session": [], "csrf": []}],
                    "parameters": [_uuid_parameter()],
                    "responses": {
                        "204": {"description": "Discarded"},
                        "401": _error("Not signed in."),
                        "404": _error("No draft with this UUID of yours."),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Made with 'flask --app outcomes create-token NAME'.",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        # A refused query also names each bad parameter, as the reviews API does.
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
                "ValidationErrors": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                        "labels": {
                            "type": "object",
                            "description": "field key -> the name the form gives it, e.g. "
                            "'readings.attention' -> 'Attention and listening'",
                            "additionalProperties": {"type": "string"},
                        },
                    },
                },
                "Conflict": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "uuid": {"type": "string", "format": "uuid"},
                        "url": {"type": "string", "description": "the stored review's page"},
                    },
                },
                "Figure": _figure_schema(),
                "Scorecard": {
                    "type": "object",
                    "required": ["period", "generated_at", "disclosure", "services"],
                    "properties": {
                        "period": {
                            "type": "object",
                            "required": ["label", "start", "end"],
                            "properties": {
                                "label": {"type": "string"},
                                "start": {"type": "string", "format": "date"},
                                "end": {"type": "string", "format": "date", "description": "inclusive"},
                            },
                        },
                        "generated_at": {"type": "string", "format": "date-time"},
                        "disclosure": {
                            "type": "object",
                            "description": "The disclosure control policy every figure went through "
                            "(setting DISCLOSURE_POLICY; docs/scorecard.md has a worked example)",
                            "required": ["policy", "withhold_below", "round_to", "secondary"],
                            "properties": {
                                "policy": {"type": "string", "enum": ["nhs", "threshold5"]},
                                "withhold_below": {"type": "integer"},
                                "round_to": {"type": "integer"},
                                "secondary": {"type": "boolean"},
                            },
                        },
                        "services": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key", "name", "measures", "domains"],
                                "properties": {
                                    "key": {"type": "string"},
                                    "name": {"type": "string"},
                                    "measures": _measures_schema(service_measures),
                                    "domains": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["domain", "label", "measures"],
                                            "properties": {
                                                "domain": {"type": "string"},
                                                "label": {"type": "string"},
                                                "measures": _measures_schema(domain_measures),
                                            },
                                        },
                                    },
                                    "breakdown": {
                                        "type": "object",
                                        "description": "Only when the breakdown parameter is given",
                                        "required": ["by", "groups"],
                                        "properties": {
                                            "by": {"type": "string"},
                                            "groups": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "required": ["group", "label", "measures"],
                                                    "properties": {
                                                        "group": {"type": "string"},
                                                        "label": {"type": "string"},
                                                        "measures": _measures_schema(service_measures),
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
                "Reading": {
                    "oneOf": [
                        {"type": "integer"},
                        {
                            "type": "object",
                            "required": ["not_assessed"],
                            "additionalProperties": False,
                            "properties": {"not_assessed": {"type": "string", "description": "why not"}},
                        },
                    ]
                },
                "ReviewInput": {
                    "type": "object",
                    "required": ["uuid", "child_id", "service", "date", "readings"],
                    "additionalProperties": False,
                    "properties": {
                        "uuid": {"type": "string", "format": "uuid"},
                        "child_id": {"type": "integer"},
                        "service": {"type": "string", "maxLength": 50},
                        "date": {"type": "string", "format": "date", "description": "not in the future"},
                        "readings": {
                            "type": "object",
                            "description": "domain key -> reading",
                            "additionalProperties": {"$ref": "#/components/schemas/Reading"},
                        },
                        "targets": {
                            "type": "array",
                            "maxItems": 12,
                            "description": "A draft keeps them aside; only a submitted review sets them",
                            "items": {
                                "type": "object",
                                "required": ["domain", "description", "target_score"],
                                "additionalProperties": False,
                                "properties": {
                                    "domain": {"type": "string"},
                                    "description": {"type": "string", "minLength": 3, "maxLength": 1000},
                                    "target_score": {"type": "integer"},
                                    "due_date": {"type": ["string", "null"], "format": "date"},
                                    "importance": {
                                        "type": ["integer", "null"],
                                        "minimum": 1,
                                        "maximum": 3,
                                        "description": "goal attainment weight: importance × difficulty",
                                    },
                                    "difficulty": {"type": ["integer", "null"], "minimum": 1, "maximum": 3},
                                },
                            },
                        },
                        "target_outcomes": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["target_id"],
                                "description": (
                                    "gas_level, outcome, or both when they agree: met is 0..+2, "
                                    "partly met -1, not met -2; an outcome alone is taken at "
                                    "its plainest level; withdrawn has no level"
                                ),
                                "additionalProperties": False,
                                "properties": {
                                    "target_id": {"type": "integer"},
                                    "outcome": {
                                        "type": "string",
                                        "enum": ["met", "partly_met", "not_met", "withdrawn"],
                                    },
                                    "gas_level": {"type": ["integer", "null"], "minimum": -2, "maximum": 2},
                                    "reason": {"type": ["string", "null"], "maxLength": 1000},
                                },
                            },
                        },
                        "notes": {"type": "string", "maxLength": 10000},
                        "internal_notes": {"type": "string", "maxLength": 10000},
                        "submit": {"type": "boolean", "default": False},
                    },
                },
                "Review": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "uuid": {"type": "string", "format": "uuid"},
                        "child_id": {"type": "integer"},
                        "service": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "status": {"type": "string", "enum": ["draft", "submitted"]},
                        "version": {"type": "integer"},
                        "is_latest": {"type": "boolean"},
                        "readings": {
                            "type": "object",
                            "additionalProperties": {"$ref": "#/components/schemas/Reading"},
                        },
                        "targets": {"type": "array", "items": {"type": "object"}},
                        "target_outcomes": {"type": "array", "items": {"type": "object"}},
                        "notes": {"type": "string"},
                        "internal_notes": {"type": "string"},
                        "amendment_reason": {"type": ["string", "null"]},
                        "withdrawn": {
                            "type": ["object", "null"],
                            "properties": {
                                "at": {"type": "string", "format": "date-time"},
                                "reason": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    }

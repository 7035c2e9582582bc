"""The OpenAPI 3.1 document served at /api/v1/openapi.json: the scorecard feed (JSON, CSV, DHIS2),
one child as FHIR, and the reviews API."""

from . import dhis2

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


def document(measures, domain_measures):
    """The document; `measures` and `domain_measures` are scorecard.MEASURES and DOMAIN_MEASURES,
    so the two never drift apart."""
    service_measures = [name for name, *_ in measures]
    domain_measures = [name for name, *_ in domain_measures]
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
                    "description": "Power BI and Excel: choose Basic authentication and give the token "
                    "as the password (any user name); scheduled refresh then needs no custom code.",
                    "security": [{"bearerToken": []}, {"basicToken": []}],
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
                            "description": "json: the Scorecard; csv: tidy rows, streamed; dhis2: a DHIS2 "
                            "dataValueSets document (DataValueSet) of the service-wide figures shown, "
                            "withheld ones left out, the period as a DHIS2 code (financial Q1 2025-26 = "
                            "2025Q2, Q2 = 2025Q3, Q3 = 2025Q4, Q4 = 2026Q1, the year 2025-26 = 2025April).",
                            "schema": {"type": "string", "enum": ["json", "csv", "dhis2"], "default": "json"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The scorecard. CSV: one row per period × service × domain "
                            "(blank for service-wide) × measure.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/Scorecard"},
                                            {"$ref": "#/components/schemas/DataValueSet"},
                                        ]
                                    },
                                    "examples": {
                                        "json": {"summary": "format=json", "value": _scorecard_example()},
                                        "dhis2": {"summary": "format=dhis2", "value": _dhis2_example()},
                                    },
                                },
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
                        "401": {
                            **_error("Missing, unknown or revoked token."),
                            "headers": {
                                "WWW-Authenticate": {
                                    "description": "A Basic challenge, so that Power BI and Excel ask for "
                                    "the token as a password",
                                    "schema": {"type": "string"},
                                }
                            },
                        },
                    },
                }
            },
            "/children/{child_id}/fhir": _fhir_path(),
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
                "basicToken": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "The same token as the password; any user name.",
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
                "DataValueSet": _data_value_set_schema(),
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
                "ChildView": {
                    "type": ["object", "null"],
                    "description": "The child's own view, tapped on a picture scale of 3 or 5 faces "
                    "(1 = saddest); null or left out when the child gave none",
                    "required": ["faces", "readings"],
                    "additionalProperties": False,
                    "properties": {
                        "faces": {"type": "integer", "enum": [3, 5]},
                        "readings": {
                            "type": "object",
                            "minProperties": 1,
                            "description": "domain key -> face, from 1 to `faces`",
                            "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5},
                        },
                    },
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
                        "child_view": {"$ref": "#/components/schemas/ChildView"},
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
                        "child_view": {"$ref": "#/components/schemas/ChildView"},
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


def _data_value_set_schema():
    codes = ", ".join(f"{measure} = {code}" for measure, code in dhis2.DATA_ELEMENTS.items())
    return {
        "type": "object",
        "description": "DHIS2's dataValueSets import format, identified by codes (idScheme CODE). "
        f"Data elements: {codes}. The service is the orgUnit (setting DHIS2_ORG_UNITS maps service "
        "keys to org unit codes; the key itself otherwise), or, with DHIS2_SERVICE_AS = "
        "'category_option', the categoryOptionCombo of the area's one orgUnit (DHIS2_ORG_UNIT).",
        "required": ["idScheme", "period", "dataValues"],
        "properties": {
            "idScheme": {"type": "string", "const": "CODE"},
            "period": {"type": "string", "description": "e.g. 2025Q4 or 2025April"},
            "dataValues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["dataElement", "period", "orgUnit", "value"],
                    "properties": {
                        "dataElement": {"type": "string", "enum": list(dhis2.DATA_ELEMENTS.values())},
                        "period": {"type": "string"},
                        "orgUnit": {"type": "string"},
                        "categoryOptionCombo": {"type": "string"},
                        "value": {"type": "string"},
                    },
                },
            },
        },
    }


def _scorecard_example():
    return {
        "period": {"label": "2025-26 Q3", "start": "2025-10-01", "end": "2025-12-31"},
        "generated_at": "2026-01-05T09:00:00Z",
        "disclosure": {"policy": "nhs", "withhold_below": 8, "round_to": 5, "secondary": True},
        "services": [
            {
                "key": "slt",
                "name": "Speech and Language Therapy",
                "measures": {
                    "reviews": {
                        "perspective": "compliance",
                        "value": 40,
                        "suppressed": False,
                        "reason": None,
                    },
                    "reviews_on_time": {
                        "perspective": "compliance",
                        "value": None,
                        "suppressed": True,
                        "reason": "small_count",
                    },
                },
                "domains": [],
            }
        ],
    }


def _dhis2_example():
    return {
        "idScheme": "CODE",
        "period": "2025Q4",
        "dataValues": [
            {"dataElement": "SEND_REVIEWS", "period": "2025Q4", "orgUnit": "slt", "value": "40"},
            {"dataElement": "SEND_PCT_TARGETS_MET", "period": "2025Q4", "orgUnit": "slt", "value": "62.5"},
        ],
    }


def _fhir_path():
    return {
        "get": {
            "operationId": "getChildFhir",
            "summary": "One child's record as a FHIR R4 Bundle (type collection)",
            "description": "Staff only (session): a practitioner with the child on one of her services' open "
            "caseloads gets those services' records, an admin every service's; each read is audited. "
            "Patient (NHS number, system https://fhir.nhs.uk/Id/nhs-number), a Questionnaire per star "
            "version, each counted review as a QuestionnaireResponse, each target as a Goal: met = "
            "achieved, not met = not-achieved, partly met = improving with the extension "
            "…/StructureDefinition/target-outcome valueString 'partly met', withdrawn = lifecycleStatus "
            "cancelled, open = active / in-progress.",
            "security": [{"session": []}],
            "parameters": [
                {
                    "name": "child_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            ],
            "responses": {
                "200": {
                    "description": "The Bundle",
                    "content": {
                        "application/fhir+json": {
                            "schema": {
                                "type": "object",
                                "required": ["resourceType", "type", "entry"],
                                "properties": {
                                    "resourceType": {"const": "Bundle"},
                                    "type": {"const": "collection"},
                                    "entry": {"type": "array", "items": {"type": "object"}},
                                },
                            },
                            "example": {
                                "resourceType": "Bundle",
                                "type": "collection",
                                "entry": [
                                    {
                                        "fullUrl": "https://outcomes.example/api/v1/fhir/Patient/child-12",
                                        "resource": {
                                            "resourceType": "Patient",
                                            "id": "child-12",
                                            "identifier": [
                                                {
                                                    "system": "https://fhir.nhs.uk/Id/nhs-number",
                                                    "value": "9434765919",
                                                }
                                            ],
                                            "name": [{"family": "Able", "given": ["Amy"]}],
                                            "birthDate": "2016-05-01",
                                        },
                                    },
                                    {
                                        "fullUrl": "https://outcomes.example/api/v1/fhir/Goal/target-7",
                                        "resource": {
                                            "resourceType": "Goal",
                                            "id": "target-7",
                                            "lifecycleStatus": "completed",
                                            "achievementStatus": {
                                                "coding": [
                                                    {
                                                        "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                                                        "code": "improving",
                                                    }
                                                ],
                                                "text": "partly met",
                                            },
                                            "extension": [
                                                {
                                                    "url": "https://outcomes.example/api/v1/fhir/StructureDefinition/target-outcome",
                                                    "valueString": "partly met",
                                                }
                                            ],
                                            "description": {"text": "Asks for a drink with two words"},
                                            "subject": {"reference": "Patient/child-12"},
                                        },
                                    },
                                ],
                            },
                        }
                    },
                },
                "401": _error("Not signed in."),
                "404": _error("No child with this number that you may see (families and managers: always)."),
            },
        }
    }

"""The SEN vocabulary: a child's SEN status and SEN2 primary need, their plain words, and how typed
text (a form, a CSV cell, a CLI option) becomes a stored code."""

SEN_STATUSES = (("ehc_plan", "EHC plan"), ("sen_support", "SEN support"), ("none", "No SEN"))

# The Department for Education's SEN2 return codes for a child's primary type of need.
SEN2_NEED_NAMES = (
    ("SLCN", "Speech, language and communication needs"),
    ("ASD", "Autistic spectrum disorder"),
    ("SEMH", "Social, emotional and mental health"),
    ("SPLD", "Specific learning difficulty"),
    ("MLD", "Moderate learning difficulty"),
    ("SLD", "Severe learning difficulty"),
    ("PMLD", "Profound and multiple learning difficulty"),
    ("PD", "Physical disability"),
    ("HI", "Hearing impairment"),
    ("VI", "Vision impairment"),
    ("MSI", "Multi-sensory impairment"),
    ("OTH", "Other difficulty or disability"),
    ("NSA", "SEN support but no specialist assessment of type of need"),
)
SEN2_NEEDS = tuple(code for code, _ in SEN2_NEED_NAMES)
# What a select shows: the code with its name, so a code is never left to be guessed.
NEED_CHOICES = tuple((code, f"{code} – {name}") for code, name in SEN2_NEED_NAMES)


def _lookup(pairs):
    """Typed text (any case, code or plain words) -> code."""
    table = {}
    for code, words in pairs:
        table[code.lower()] = code
        table[words.lower()] = code
    return table


_STATUS_OF = _lookup(SEN_STATUSES) | {"ehc plan": "ehc_plan", "sen support": "sen_support", "no sen": "none"}
_NEED_OF = _lookup(SEN2_NEED_NAMES) | {f"{c} – {n}".lower(): c for c, n in SEN2_NEED_NAMES}


def status_code(text):
    """The stored sen_status for typed text; None when blank; raises ValueError when unknown."""
    return _code(text, _STATUS_OF)


def need_code(text):
    """The stored SEN2 primary_need for typed text; None when blank; raises ValueError when unknown."""
    return _code(text, _NEED_OF)


def _code(text, table):
    cleaned = " ".join(str(text or "").split()).lower()
    if not cleaned:
        return None
    if cleaned not in table:
        raise ValueError(cleaned)
    return table[cleaned]

"""Numbered, append-only schema migrations. Never edit one that has shipped; add the next.

`PRAGMA user_version` records how many have been applied (see db.migrate).
"""

M001_CORE = """
CREATE TABLE stars (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);

-- A version is frozen once a review uses it or it is published; editing makes the next version.
CREATE TABLE star_versions (
    id INTEGER PRIMARY KEY,
    star_id INTEGER NOT NULL REFERENCES stars(id),
    version INTEGER NOT NULL,
    scale_min INTEGER NOT NULL DEFAULT 1,
    scale_max INTEGER NOT NULL DEFAULT 10,
    published_at TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    UNIQUE (star_id, version),
    CHECK (scale_max > scale_min)
);

-- Domains keep their key across versions, which is how readings are compared between versions.
CREATE TABLE domains (
    id INTEGER PRIMARY KEY,
    star_version_id INTEGER NOT NULL REFERENCES star_versions(id),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (star_version_id, key)
);

CREATE TABLE stages (
    id INTEGER PRIMARY KEY,
    star_version_id INTEGER NOT NULL REFERENCES star_versions(id),
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
    name TEXT NOT NULL,
    min_score INTEGER NOT NULL,
    max_score INTEGER NOT NULL,
    UNIQUE (star_version_id, position)
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    review_interval_days INTEGER NOT NULL DEFAULT 182 CHECK (review_interval_days > 0),
    star_id INTEGER REFERENCES stars(id),
    retired_at TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);

CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    nhs_number TEXT UNIQUE,
    local_id TEXT UNIQUE,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('practitioner', 'family', 'manager', 'admin')),
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);

-- A user's place in a service: 'practitioner' reviews its caseload, 'manager' sees its aggregates.
CREATE TABLE memberships (
    user_id INTEGER NOT NULL REFERENCES users(id),
    service_id INTEGER NOT NULL REFERENCES services(id),
    role TEXT NOT NULL CHECK (role IN ('practitioner', 'manager')),
    PRIMARY KEY (user_id, service_id, role)
) WITHOUT ROWID;

CREATE TABLE caseloads (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children(id),
    service_id INTEGER NOT NULL REFERENCES services(id),
    practitioner_id INTEGER REFERENCES users(id),
    started_on TEXT NOT NULL,
    discharged_on TEXT
);
-- One open episode per child and service; discharged ones stay as history.
CREATE UNIQUE INDEX caseloads_open_child_service ON caseloads (child_id, service_id)
    WHERE discharged_on IS NULL;
CREATE INDEX caseloads_by_service ON caseloads (service_id, discharged_on);

CREATE TABLE family_links (
    user_id INTEGER NOT NULL REFERENCES users(id),
    child_id INTEGER NOT NULL REFERENCES children(id),
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (user_id, child_id)
) WITHOUT ROWID;
CREATE INDEX family_links_by_child ON family_links (child_id);

-- A review is a series of versions: version 1 is the original, each amendment the next.
-- Only the latest version (is_latest = 1) counts; targets, outcomes and family views are
-- re-pointed to it when it is amended.
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    series_id INTEGER REFERENCES reviews(id),
    version INTEGER NOT NULL DEFAULT 1,
    is_latest INTEGER NOT NULL DEFAULT 1,
    child_id INTEGER NOT NULL REFERENCES children(id),
    service_id INTEGER NOT NULL REFERENCES services(id),
    star_version_id INTEGER NOT NULL REFERENCES star_versions(id),
    practitioner_id INTEGER NOT NULL REFERENCES users(id),
    date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
    notes TEXT NOT NULL DEFAULT '',
    internal_notes TEXT NOT NULL DEFAULT '',
    amendment_reason TEXT,
    content_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    submitted_at TEXT
);
CREATE INDEX reviews_by_child_service_date ON reviews (child_id, service_id, date);
CREATE INDEX reviews_counted_by_service_date ON reviews (service_id, date, child_id)
    WHERE status = 'submitted' AND is_latest = 1;
CREATE INDEX reviews_by_series ON reviews (series_id);

-- A reading is a score on the star's scale, or "not assessed" with a reason.
CREATE TABLE readings (
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    score INTEGER,
    not_assessed_reason TEXT,
    PRIMARY KEY (review_id, domain_id),
    CHECK ((score IS NULL) <> (not_assessed_reason IS NULL))
) WITHOUT ROWID;

CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children(id),
    service_id INTEGER NOT NULL REFERENCES services(id),
    domain_key TEXT NOT NULL,
    set_in_review_id INTEGER NOT NULL REFERENCES reviews(id),
    description TEXT NOT NULL,
    start_score INTEGER,
    target_score INTEGER NOT NULL,
    due_date TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX targets_by_child_service ON targets (child_id, service_id);
CREATE INDEX targets_by_review ON targets (set_in_review_id);

-- A target is closed by the review that records its outcome (once that review is submitted).
CREATE TABLE target_outcomes (
    target_id INTEGER PRIMARY KEY REFERENCES targets(id),
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('met', 'partly_met', 'not_met', 'withdrawn')),
    reason TEXT,
    score_at_close INTEGER,
    CHECK (outcome <> 'withdrawn' OR reason IS NOT NULL)
);
CREATE INDEX target_outcomes_by_review ON target_outcomes (review_id, outcome);

-- The family's own view of a submitted review: a rating, a comment, their own readings.
CREATE TABLE family_views (
    id INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    UNIQUE (review_id, user_id)
);
CREATE INDEX family_views_by_created ON family_views (created_at);

CREATE TABLE family_view_readings (
    family_view_id INTEGER NOT NULL REFERENCES family_views(id),
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    score INTEGER NOT NULL,
    PRIMARY KEY (family_view_id, domain_id)
) WITHOUT ROWID;

-- One-time codes, stored as hashes only.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children(id),
    code_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by INTEGER REFERENCES users(id)
);

CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Failed sign-ins by the address typed, whether or not such an account exists.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL COLLATE NOCASE,
    at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX login_failures_by_email_at ON login_failures (email, at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    last_used_at TEXT,
    revoked_at TEXT
);

-- Every staff read or write of a child's record, for the data-protection officer.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    user_id INTEGER REFERENCES users(id),
    action TEXT NOT NULL,
    child_id INTEGER REFERENCES children(id),
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_child_at ON audit_log (child_id, at);
CREATE INDEX audit_log_by_user_at ON audit_log (user_id, at);
"""

# The scorecard's look-up index. It first shipped as an edit to M001, so databases built
# before that edit lack it; IF NOT EXISTS lets the ones built after it pass through.
M002_SCORECARD_INDEX = """
-- A child's counted reviews by one service in date order, for the previous review (on time?),
-- the first review and the latest one up to a period's end.
CREATE INDEX IF NOT EXISTS reviews_counted_by_service_child_date ON reviews (service_id, child_id, date)
    WHERE status = 'submitted' AND is_latest = 1;
"""

# The admin import's waiting uploads and the audit page's date index. Both first shipped as an
# edit to M001, so databases built before that edit lack them; IF NOT EXISTS as in M002.
M003_IMPORT_UPLOADS = """
-- A checked CSV upload waiting for the admin to confirm the import (too big to round-trip in a
-- form field); deleted once imported, or after a day.
CREATE TABLE IF NOT EXISTS import_uploads (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    filename TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
-- The audit page lists the newest entries first, filtered by date alone.
CREATE INDEX IF NOT EXISTS audit_log_by_at ON audit_log (at);
"""

# Records a service can stand behind: a review entered in error is withdrawn (it stays in the
# history with who, when and why, and stops counting), and a draft's planned targets and outcomes
# are kept as JSON on the draft, so that only a submitted review sets or closes a target.
M004_WITHDRAWN_REVIEWS = """
ALTER TABLE reviews ADD COLUMN withdrawn_at TEXT;
ALTER TABLE reviews ADD COLUMN withdrawn_by INTEGER REFERENCES users(id);
ALTER TABLE reviews ADD COLUMN withdrawn_reason TEXT;
-- The outcomes a withdrawn review had recorded (their targets re-open), kept for its history.
ALTER TABLE reviews ADD COLUMN withdrawn_outcomes TEXT;
-- A draft's new targets and target outcomes: {"targets": [...], "target_outcomes": [...]}.
ALTER TABLE reviews ADD COLUMN draft_plan TEXT;

UPDATE reviews SET draft_plan = json_object(
    'targets', (SELECT json_group_array(json_object(
                    'domain', t.domain_key, 'description', t.description,
                    'target_score', t.target_score, 'due_date', t.due_date))
                FROM targets t WHERE t.set_in_review_id = reviews.id),
    'target_outcomes', (SELECT json_group_array(json_object(
                    'target_id', o.target_id, 'outcome', o.outcome, 'reason', o.reason))
                FROM target_outcomes o WHERE o.review_id = reviews.id))
WHERE status = 'draft';
DELETE FROM target_outcomes WHERE review_id IN (SELECT id FROM reviews WHERE status = 'draft');
DELETE FROM target_outcomes WHERE target_id IN (
    SELECT t.id FROM targets t JOIN reviews r ON r.id = t.set_in_review_id WHERE r.status = 'draft');
DELETE FROM targets WHERE set_in_review_id IN (SELECT id FROM reviews WHERE status = 'draft');

-- The counted rule gained "not withdrawn": the partial indexes say it word for word.
DROP INDEX IF EXISTS reviews_counted_by_service_date;
DROP INDEX IF EXISTS reviews_counted_by_service_child_date;
CREATE INDEX reviews_counted_by_service_date ON reviews (service_id, date, child_id)
    WHERE status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
CREATE INDEX reviews_counted_by_service_child_date ON reviews (service_id, child_id, date)
    WHERE status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
"""

# Children erased on request or anonymised at the end of retention: the record stays (its
# reviews keep counting in the scorecard) but nothing on it identifies the child any more.
M005_CHILD_ERASURES = """
CREATE TABLE IF NOT EXISTS child_erasures (
    child_id INTEGER PRIMARY KEY REFERENCES children(id),
    reason TEXT NOT NULL CHECK (reason IN ('request', 'retention')),
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
"""

# Exact scorecard rules and the needs analysis's breakdowns.
M006_INTERVALS_NEEDS_MEANINGFUL_CHANGE = """
-- Each review interval a service has had, from the UK date it took effect: "on time" uses the
-- interval in force at the due date, so changing it never rewrites past quarters. The interval a
-- service started with is in force from '0001-01-01'.
CREATE TABLE IF NOT EXISTS service_intervals (
    id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES services(id),
    review_interval_days INTEGER NOT NULL CHECK (review_interval_days > 0),
    effective_from TEXT NOT NULL,
    UNIQUE (service_id, effective_from)
);
INSERT OR IGNORE INTO service_intervals (service_id, review_interval_days, effective_from)
    SELECT id, review_interval_days, '0001-01-01' FROM services;
-- However a service is created (admin page, command, demo, bench), it starts with its history.
CREATE TRIGGER IF NOT EXISTS services_first_interval AFTER INSERT ON services
BEGIN
    INSERT OR IGNORE INTO service_intervals (service_id, review_interval_days, effective_from)
    VALUES (NEW.id, NEW.review_interval_days, '0001-01-01');
END;

-- SEN status and primary need (SEN2 codes), for the scorecard's breakdowns; unknown until set.
ALTER TABLE children ADD COLUMN sen_status TEXT
    CHECK (sen_status IN ('ehc_plan', 'sen_support', 'none'));
ALTER TABLE children ADD COLUMN primary_need TEXT
    CHECK (primary_need IN ('SLCN', 'ASD', 'SEMH', 'SPLD', 'MLD', 'SLD', 'PMLD', 'PD', 'HI', 'VI',
                            'MSI', 'OTH', 'NSA'));

-- The smallest change in a child's mean reading that counts as meaningful, per star.
ALTER TABLE stars ADD COLUMN meaningful_change REAL NOT NULL DEFAULT 1 CHECK (meaningful_change > 0);
"""

# Sessions held in the database, so signing out, a new password, deactivation or an admin's
# "sign out everywhere" ends every copy of a cookie at once; and failed sign-ins by address
# as well as by account, for delays that grow instead of a lock a stranger can trigger.
M007_SESSIONS_AND_THROTTLE = """
CREATE TABLE IF NOT EXISTS user_sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS user_sessions_by_user ON user_sessions (user_id);
CREATE TABLE IF NOT EXISTS sign_in_failures (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL COLLATE NOCASE,
    address TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_failures_by_email ON sign_in_failures (email, at);
CREATE INDEX IF NOT EXISTS sign_in_failures_by_address ON sign_in_failures (address, at);
"""

# The figures' version: bumped by triggers in the same transaction as every write to a table the
# scorecard reads, so the feed can cache its answers and give ETags that change exactly when the
# figures can. (PRAGMA data_version only sees other connections' commits, per connection; the file
# change counter is not kept in WAL mode; a counter each write path bumped by hand could be missed.)
M008_DATA_VERSION = """
CREATE TABLE IF NOT EXISTS data_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO data_version (id, n) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS data_version_reviews_insert AFTER INSERT ON reviews
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_reviews_update AFTER UPDATE ON reviews
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_reviews_delete AFTER DELETE ON reviews
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_readings_insert AFTER INSERT ON readings
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_readings_update AFTER UPDATE ON readings
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_readings_delete AFTER DELETE ON readings
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_targets_insert AFTER INSERT ON targets
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_targets_update AFTER UPDATE ON targets
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_targets_delete AFTER DELETE ON targets
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_target_outcomes_insert AFTER INSERT ON target_outcomes
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_target_outcomes_update AFTER UPDATE ON target_outcomes
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_target_outcomes_delete AFTER DELETE ON target_outcomes
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_family_views_insert AFTER INSERT ON family_views
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_family_views_update AFTER UPDATE ON family_views
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_family_views_delete AFTER DELETE ON family_views
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_caseloads_insert AFTER INSERT ON caseloads
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_caseloads_update AFTER UPDATE ON caseloads
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_caseloads_delete AFTER DELETE ON caseloads
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_children_insert AFTER INSERT ON children
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_children_update AFTER UPDATE ON children
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_children_delete AFTER DELETE ON children
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_services_insert AFTER INSERT ON services
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_services_update AFTER UPDATE ON services
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_services_delete AFTER DELETE ON services
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_star_versions_insert AFTER INSERT ON star_versions
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_star_versions_update AFTER UPDATE ON star_versions
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_star_versions_delete AFTER DELETE ON star_versions
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_domains_insert AFTER INSERT ON domains
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_domains_update AFTER UPDATE ON domains
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_domains_delete AFTER DELETE ON domains
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_stages_insert AFTER INSERT ON stages
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_stages_update AFTER UPDATE ON stages
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_stages_delete AFTER DELETE ON stages
BEGIN UPDATE data_version SET n = n + 1; END;
"""

# A parent's opt-in to an email when a new review of their child is published: a row per family
# account that asked (none: no email). Notices change no figure, so no data_version trigger.
M009_REVIEW_NOTICES = """
CREATE TABLE IF NOT EXISTS review_notices (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    opted_in_at TEXT NOT NULL
);
"""

# The scorecard's facts, one row per counted review, so that a quarter or a year reads a range of
# one index instead of working out first, latest, previous and means from every reading. Kept by
# triggers in the same transaction as every write to what they are made of (reviews, readings,
# target outcomes, service intervals), however it is written (a form, the API, an amendment, a
# withdrawal, a discarded draft, the import, a test's own SQL): code paths can be missed, triggers
# cannot. Each write queues its (child, service) in review_facts_pending, whose trigger rebuilds
# that pair's facts at once (a pair has a handful of reviews); review_facts_state.paused lets a bulk
# insert queue pairs and rebuild each once at its end (outcomes/facts.py). The rules are those of
# rules.py and scorecard.py, frozen here as this migration ships.
M010_REVIEW_FACTS = """
-- One counted review: the review before and after it (date order, the higher id later on a shared
-- date), the child's first counted review with the service, on time, the distance travelled from
-- the first review (difference of the mean readings over assessed domains; NULL when either has
-- none) and its target outcomes.
CREATE TABLE IF NOT EXISTS review_facts (
    review_id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL,
    date TEXT NOT NULL,
    child_id INTEGER NOT NULL,
    first_id INTEGER NOT NULL,
    previous_date TEXT,
    next_date TEXT,
    on_time INTEGER NOT NULL,
    distance REAL,
    targets_closed INTEGER NOT NULL,
    targets_met INTEGER NOT NULL,
    targets_partly_met INTEGER NOT NULL,
    targets_not_met INTEGER NOT NULL,
    -- the first day of the quarters of the review and of the next one ('9999-12-31': none yet)
    quarter TEXT NOT NULL,
    next_quarter TEXT NOT NULL
);
-- Covering the scorecard's reads: a service's period is one range of this index alone.
CREATE INDEX IF NOT EXISTS review_facts_by_service_date ON review_facts (
    service_id, date, next_date, child_id, first_id, on_time, distance,
    targets_closed, targets_met, targets_partly_met, targets_not_met
);
CREATE INDEX IF NOT EXISTS review_facts_by_child ON review_facts (service_id, child_id);

-- Per domain of the child's first review, the distance travelled to a later review (readings
-- paired on the domain, or on its key across star versions); only where both were assessed.
CREATE TABLE IF NOT EXISTS review_domain_facts (
    review_id INTEGER NOT NULL,
    domain_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    date TEXT NOT NULL,
    child_id INTEGER NOT NULL,
    next_date TEXT,
    distance INTEGER NOT NULL,
    quarter TEXT NOT NULL,
    next_quarter TEXT NOT NULL,
    PRIMARY KEY (review_id, domain_id)
) WITHOUT ROWID;
-- Covering the scorecard's reads in domain order, so the figures by domain need no sorting.
CREATE INDEX IF NOT EXISTS review_domain_facts_by_service_domain_date
    ON review_domain_facts (service_id, domain_id, date, next_date, child_id, distance);

-- The same facts added up by service, quarter of the review and quarter of the next review
-- (periods are whole quarters, so "the next review is after the period's end" is "its quarter
-- starts after it"): a service's figures for a year read a few rows. Kept by the triggers below
-- on every change to the facts; a breakdown by group of children reads the facts themselves.
CREATE TABLE IF NOT EXISTS review_facts_by_quarter (
    service_id INTEGER NOT NULL,
    quarter TEXT NOT NULL,
    next_quarter TEXT NOT NULL,
    reviews INTEGER NOT NULL,
    on_time INTEGER NOT NULL,
    targets_closed INTEGER NOT NULL,
    targets_met INTEGER NOT NULL,
    targets_partly_met INTEGER NOT NULL,
    targets_not_met INTEGER NOT NULL,
    PRIMARY KEY (service_id, quarter, next_quarter)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS review_domain_facts_by_quarter (
    service_id INTEGER NOT NULL,
    domain_id INTEGER NOT NULL,
    quarter TEXT NOT NULL,
    next_quarter TEXT NOT NULL,
    distance INTEGER NOT NULL,
    children INTEGER NOT NULL,
    PRIMARY KEY (service_id, domain_id, quarter, next_quarter, distance)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS review_facts_add AFTER INSERT ON review_facts
BEGIN
    INSERT INTO review_facts_by_quarter VALUES (
        NEW.service_id, NEW.quarter, NEW.next_quarter, 1, NEW.on_time,
        NEW.targets_closed, NEW.targets_met, NEW.targets_partly_met, NEW.targets_not_met)
    ON CONFLICT DO UPDATE SET reviews = reviews + 1, on_time = on_time + excluded.on_time,
        targets_closed = targets_closed + excluded.targets_closed,
        targets_met = targets_met + excluded.targets_met,
        targets_partly_met = targets_partly_met + excluded.targets_partly_met,
        targets_not_met = targets_not_met + excluded.targets_not_met;
END;
CREATE TRIGGER IF NOT EXISTS review_facts_take AFTER DELETE ON review_facts
BEGIN
    UPDATE review_facts_by_quarter SET reviews = reviews - 1, on_time = on_time - OLD.on_time,
        targets_closed = targets_closed - OLD.targets_closed, targets_met = targets_met - OLD.targets_met,
        targets_partly_met = targets_partly_met - OLD.targets_partly_met,
        targets_not_met = targets_not_met - OLD.targets_not_met
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter AND next_quarter = OLD.next_quarter;
    DELETE FROM review_facts_by_quarter
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter AND next_quarter = OLD.next_quarter
      AND reviews = 0;
END;
CREATE TRIGGER IF NOT EXISTS review_facts_on_time AFTER UPDATE OF on_time ON review_facts
WHEN NEW.on_time <> OLD.on_time
BEGIN
    UPDATE review_facts_by_quarter SET on_time = on_time + NEW.on_time - OLD.on_time
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter AND next_quarter = OLD.next_quarter;
END;
CREATE TRIGGER IF NOT EXISTS review_domain_facts_add AFTER INSERT ON review_domain_facts
BEGIN
    INSERT INTO review_domain_facts_by_quarter VALUES (
        NEW.service_id, NEW.domain_id, NEW.quarter, NEW.next_quarter, NEW.distance, 1)
    ON CONFLICT DO UPDATE SET children = children + 1;
END;
CREATE TRIGGER IF NOT EXISTS review_domain_facts_take AFTER DELETE ON review_domain_facts
BEGIN
    UPDATE review_domain_facts_by_quarter SET children = children - 1
    WHERE service_id = OLD.service_id AND domain_id = OLD.domain_id AND quarter = OLD.quarter
      AND next_quarter = OLD.next_quarter AND distance = OLD.distance;
    DELETE FROM review_domain_facts_by_quarter
    WHERE service_id = OLD.service_id AND domain_id = OLD.domain_id AND quarter = OLD.quarter
      AND next_quarter = OLD.next_quarter AND distance = OLD.distance AND children = 0;
END;

CREATE TABLE IF NOT EXISTS review_facts_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    paused INTEGER NOT NULL
);
INSERT OR IGNORE INTO review_facts_state (id, paused) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS review_facts_pending (
    child_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    PRIMARY KEY (child_id, service_id)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS review_facts_refresh AFTER INSERT ON review_facts_pending
WHEN (SELECT paused FROM review_facts_state) = 0
BEGIN
    DELETE FROM review_domain_facts WHERE review_id IN (
        SELECT review_id FROM review_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id);
    DELETE FROM review_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    INSERT INTO review_facts (review_id, service_id, date, child_id, first_id, previous_date, next_date,
                              on_time, distance, targets_closed, targets_met, targets_partly_met,
                              targets_not_met, quarter, next_quarter)
    SELECT c.id, c.service_id, c.date, c.child_id, c.first_id, c.previous_date, c.next_date, 0,
           CASE WHEN c.first_id <> c.id THEN
               (SELECT avg(score) FROM readings WHERE review_id = c.id)
             - (SELECT avg(score) FROM readings WHERE review_id = c.first_id) END,
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome <> 'withdrawn'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'met'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'partly_met'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'not_met'),
           date(c.date, 'start of month',
                '-' || ((CAST(strftime('%m', c.date) AS INTEGER) - 1) % 3) || ' months'),
           coalesce(date(c.next_date, 'start of month',
                         '-' || ((CAST(strftime('%m', c.next_date) AS INTEGER) - 1) % 3) || ' months'),
                    '9999-12-31')
    FROM (
        SELECT id, service_id, child_id, date,
               first_value(id) OVER (ORDER BY date, id) AS first_id,
               lag(date) OVER (ORDER BY date, id) AS previous_date,
               lead(date) OVER (ORDER BY date, id) AS next_date
        FROM reviews
        WHERE service_id = NEW.service_id AND child_id = NEW.child_id
          AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL
    ) c;
    UPDATE review_facts SET on_time = (previous_date IS NULL OR date <= (
            SELECT min(max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from))
            FROM service_intervals i
            WHERE i.service_id = review_facts.service_id
              AND max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from)
                  < coalesce((SELECT min(n.effective_from) FROM service_intervals n
                              WHERE n.service_id = i.service_id AND n.effective_from > i.effective_from),
                             '9999-12-31')))
    WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    INSERT INTO review_domain_facts (service_id, date, review_id, domain_id, child_id, next_date, distance,
                                     quarter, next_quarter)
    SELECT service_id, date, review_id, domain_id, child_id, next_date, distance, quarter, next_quarter
    FROM (
        SELECT f.service_id, f.date, f.review_id, fr.domain_id, f.child_id, f.next_date, f.quarter,
               f.next_quarter,
               coalesce(
                   (SELECT lr.score FROM readings lr
                    WHERE lr.review_id = f.review_id AND lr.domain_id = fr.domain_id),
                   (SELECT lr.score FROM domains fd
                    JOIN domains ld ON ld.key = fd.key AND ld.id <> fd.id
                    JOIN readings lr ON lr.review_id = f.review_id AND lr.domain_id = ld.id
                    WHERE fd.id = fr.domain_id)
               ) - fr.score AS distance
        FROM review_facts f
        JOIN readings fr ON fr.review_id = f.first_id
        WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id AND f.first_id <> f.review_id
        LIMIT -1  -- keeps the subquery a co-routine, so each distance is worked out once
    ) WHERE distance IS NOT NULL;
    DELETE FROM review_facts_pending WHERE child_id = NEW.child_id AND service_id = NEW.service_id;
END;

-- What a counted review is made of: queue its pair (drafts, old versions and withdrawn reviews
-- matter only when they stop or start counting).
CREATE TRIGGER IF NOT EXISTS review_facts_reviews_insert AFTER INSERT ON reviews
WHEN NEW.status = 'submitted' AND NEW.is_latest = 1 AND NEW.withdrawn_at IS NULL
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    VALUES (NEW.child_id, NEW.service_id);
END;
CREATE TRIGGER IF NOT EXISTS review_facts_reviews_update
AFTER UPDATE OF status, is_latest, withdrawn_at, date, child_id, service_id ON reviews
WHEN (OLD.status = 'submitted' AND OLD.is_latest = 1 AND OLD.withdrawn_at IS NULL)
  OR (NEW.status = 'submitted' AND NEW.is_latest = 1 AND NEW.withdrawn_at IS NULL)
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    VALUES (OLD.child_id, OLD.service_id);
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    VALUES (NEW.child_id, NEW.service_id);
END;
CREATE TRIGGER IF NOT EXISTS review_facts_reviews_delete AFTER DELETE ON reviews
WHEN OLD.status = 'submitted' AND OLD.is_latest = 1 AND OLD.withdrawn_at IS NULL
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    VALUES (OLD.child_id, OLD.service_id);
END;
CREATE TRIGGER IF NOT EXISTS review_facts_readings_insert AFTER INSERT ON readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id = NEW.review_id
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS review_facts_readings_update
AFTER UPDATE OF review_id, domain_id, score ON readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id IN (OLD.review_id, NEW.review_id)
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS review_facts_readings_delete AFTER DELETE ON readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id = OLD.review_id
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS review_facts_outcomes_insert AFTER INSERT ON target_outcomes
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id = NEW.review_id
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS review_facts_outcomes_update
AFTER UPDATE OF review_id, outcome ON target_outcomes
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id IN (OLD.review_id, NEW.review_id)
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS review_facts_outcomes_delete AFTER DELETE ON target_outcomes
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id = OLD.review_id
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;

-- A new interval history changes "on time" across the service (the due date in force).
CREATE TRIGGER IF NOT EXISTS review_facts_intervals_insert AFTER INSERT ON service_intervals
BEGIN
    UPDATE review_facts SET on_time = (previous_date IS NULL OR date <= (
            SELECT min(max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from))
            FROM service_intervals i
            WHERE i.service_id = review_facts.service_id
              AND max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from)
                  < coalesce((SELECT min(n.effective_from) FROM service_intervals n
                              WHERE n.service_id = i.service_id AND n.effective_from > i.effective_from),
                             '9999-12-31')))
    WHERE service_id = NEW.service_id;
END;
CREATE TRIGGER IF NOT EXISTS review_facts_intervals_update AFTER UPDATE ON service_intervals
BEGIN
    UPDATE review_facts SET on_time = (previous_date IS NULL OR date <= (
            SELECT min(max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from))
            FROM service_intervals i
            WHERE i.service_id = review_facts.service_id
              AND max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from)
                  < coalesce((SELECT min(n.effective_from) FROM service_intervals n
                              WHERE n.service_id = i.service_id AND n.effective_from > i.effective_from),
                             '9999-12-31')))
    WHERE service_id IN (OLD.service_id, NEW.service_id);
END;
CREATE TRIGGER IF NOT EXISTS review_facts_intervals_delete AFTER DELETE ON service_intervals
BEGIN
    UPDATE review_facts SET on_time = (previous_date IS NULL OR date <= (
            SELECT min(max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from))
            FROM service_intervals i
            WHERE i.service_id = review_facts.service_id
              AND max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from)
                  < coalesce((SELECT min(n.effective_from) FROM service_intervals n
                              WHERE n.service_id = i.service_id AND n.effective_from > i.effective_from),
                             '9999-12-31')))
    WHERE service_id = OLD.service_id;
END;

-- The family ratings of a period, read from the index alone (the scorecard's one measure not on
-- the facts: a rating counts by the day it was given, not by its review's date).
CREATE INDEX IF NOT EXISTS family_views_by_created_review ON family_views (created_at, review_id, rating);

-- An upgraded database gets the facts of every review it already holds.
INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
SELECT DISTINCT child_id, service_id FROM reviews
WHERE status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
"""

# The child's own voice: child-friendly wording for each domain (read aloud in the child's view),
# and the child's reading of each domain at a review on a picture scale of 3 or 5 faces. The
# default stars get this project's own wording; other stars show the label until an admin adds it.
M011_CHILD_VIEW = """
ALTER TABLE domains ADD COLUMN child_wording TEXT;
CREATE TABLE IF NOT EXISTS child_readings (
    id INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    faces INTEGER NOT NULL CHECK (faces IN (3, 5)),
    face INTEGER NOT NULL CHECK (face BETWEEN 1 AND faces),
    UNIQUE (review_id, domain_id)
);
CREATE TRIGGER IF NOT EXISTS data_version_child_readings_insert AFTER INSERT ON child_readings
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_child_readings_update AFTER UPDATE ON child_readings
BEGIN UPDATE data_version SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS data_version_child_readings_delete AFTER DELETE ON child_readings
BEGIN UPDATE data_version SET n = n + 1; END;
UPDATE domains SET child_wording = CASE key
    WHEN 'attention' THEN 'Listening and looking when people talk to me'
    WHEN 'understanding' THEN 'Understanding what people say to me'
    WHEN 'talking' THEN 'Using words to tell people what I want and think'
    WHEN 'speech_sounds' THEN 'People understanding me when I talk'
    WHEN 'social_communication' THEN 'Playing and chatting with other people'
    WHEN 'eating_drinking' THEN 'Eating and drinking'
    WHEN 'getting_about' THEN 'Moving about and getting where I want to go'
    WHEN 'balance' THEN 'Keeping steady and not falling over'
    WHEN 'posture' THEN 'Sitting and standing comfortably'
    WHEN 'strength' THEN 'Being strong and keeping going'
    WHEN 'comfort' THEN 'How my body feels: comfy or sore'
    WHEN 'play_sport' THEN 'Joining in games, PE and sport'
    WHEN 'self_care' THEN 'Getting dressed, washing and going to the toilet'
    WHEN 'hand_skills' THEN 'Using my hands to draw, write and make things'
    WHEN 'senses' THEN 'Noisy, busy places and calming down'
    WHEN 'play' THEN 'Playing with toys and games'
    WHEN 'routines' THEN 'Mealtimes, bedtime and getting ready'
    WHEN 'school_independence' THEN 'Doing things on my own at school'
    WHEN 'safety' THEN 'Feeling safe at home and when I go out'
    WHEN 'health' THEN 'Sleeping, eating and feeling well'
    WHEN 'family' THEN 'Getting on with my family'
    WHEN 'wellbeing' THEN 'Feeling happy and calm'
    WHEN 'community' THEN 'Friends, clubs and going out'
    WHEN 'living_skills' THEN 'Doing things for myself, like shopping'
    END
WHERE child_wording IS NULL AND star_version_id IN (
    SELECT sv.id FROM star_versions sv JOIN stars s ON s.id = sv.star_id
    WHERE s.key IN ('slt', 'physio', 'ot', 'social'));
"""

# The regional view: the figures a region pulls from its member areas' feeds, exactly as each feed
# published them (a withheld figure is stored as withheld, its value NULL), and each area's last
# pull. These are other areas' figures, not this instance's scorecard, so no data_version trigger.
M012_REGION_FEEDS = """
CREATE TABLE IF NOT EXISTS region_figures (
    area TEXT NOT NULL,
    period TEXT NOT NULL,
    service TEXT NOT NULL,
    service_name TEXT NOT NULL,
    measure TEXT NOT NULL,
    value REAL,
    suppressed INTEGER NOT NULL CHECK (suppressed IN (0, 1)),
    reason TEXT,
    PRIMARY KEY (area, period, service, measure),
    CHECK (suppressed = 0 OR value IS NULL)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS region_figures_by_measure ON region_figures (measure, period);
CREATE TABLE IF NOT EXISTS region_pulls (
    area TEXT PRIMARY KEY,
    last_attempt_at TEXT NOT NULL,
    last_success_at TEXT,
    last_error TEXT,
    policy TEXT
);
"""

# Goal attainment scaling and the Friends and Family Test. A closed target keeps the level it was
# achieved at (-2..+2; met, partly met and not met are read off it) and may carry weights; outcomes
# recorded before levels existed are taken as met 0, partly met -1, not met -2. A family's rating
# becomes an FFT answer (5 very good .. 1 very poor; "don't know" has no rating) with two free-text
# questions. The triggers keep rows written by any older path (bulk history, withdrawals) in step.
M013_GAS_AND_FFT = """
ALTER TABLE targets ADD COLUMN importance INTEGER CHECK (importance BETWEEN 1 AND 3);
ALTER TABLE targets ADD COLUMN difficulty INTEGER CHECK (difficulty BETWEEN 1 AND 3);
ALTER TABLE target_outcomes ADD COLUMN gas_level INTEGER CHECK (gas_level BETWEEN -2 AND 2);
UPDATE target_outcomes SET gas_level = CASE outcome
    WHEN 'met' THEN 0 WHEN 'partly_met' THEN -1 WHEN 'not_met' THEN -2 END
WHERE gas_level IS NULL;
CREATE TRIGGER IF NOT EXISTS target_outcomes_level_insert AFTER INSERT ON target_outcomes
WHEN NEW.gas_level IS NULL AND NEW.outcome <> 'withdrawn'
BEGIN
    UPDATE target_outcomes SET gas_level = CASE NEW.outcome
        WHEN 'met' THEN 0 WHEN 'partly_met' THEN -1 WHEN 'not_met' THEN -2 END
    WHERE target_id = NEW.target_id;
END;
CREATE TRIGGER IF NOT EXISTS target_outcomes_level_withdrawn AFTER UPDATE OF outcome ON target_outcomes
WHEN NEW.outcome = 'withdrawn' AND NEW.gas_level IS NOT NULL
BEGIN
    UPDATE target_outcomes SET gas_level = NULL WHERE target_id = NEW.target_id;
END;
ALTER TABLE family_views ADD COLUMN fft_answer TEXT
    CHECK (fft_answer IN ('very_good', 'good', 'neither', 'poor', 'very_poor', 'dont_know'));
ALTER TABLE family_views ADD COLUMN what_was_good TEXT NOT NULL DEFAULT '';
ALTER TABLE family_views ADD COLUMN could_be_better TEXT NOT NULL DEFAULT '';
UPDATE family_views SET fft_answer = CASE rating
    WHEN 5 THEN 'very_good' WHEN 4 THEN 'good' WHEN 3 THEN 'neither' WHEN 2 THEN 'poor'
    WHEN 1 THEN 'very_poor' END
WHERE fft_answer IS NULL AND rating IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS family_views_fft_insert AFTER INSERT ON family_views
WHEN NEW.fft_answer IS NULL AND NEW.rating IS NOT NULL
BEGIN
    UPDATE family_views SET fft_answer = CASE NEW.rating
        WHEN 5 THEN 'very_good' WHEN 4 THEN 'good' WHEN 3 THEN 'neither' WHEN 2 THEN 'poor'
        WHEN 1 THEN 'very_poor' END
    WHERE id = NEW.id;
END;
"""

# The figures' version by the date each write touches, so that the feed's cached figures of a past
# year stand while today's reviews are written (data_version moves with every write). A write can
# change only the figures of periods ending on or after the earliest date it touches: a review its
# date (an update the earlier of its old and new dates), its readings, targets and target outcomes
# their review's date, a family view the UTC day it was given (never later than its UK day). Every
# other table the figures read has no such date and moves one undated counter.
M014_FIGURES_VERSION_BY_DAY = """
CREATE TABLE IF NOT EXISTS figures_version_by_day (day TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS figures_version_undated (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT OR IGNORE INTO figures_version_undated (id, n) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS figures_day_reviews_insert AFTER INSERT ON reviews
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    NEW.date, 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_reviews_update AFTER UPDATE ON reviews
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    min(OLD.date, NEW.date), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_reviews_delete AFTER DELETE ON reviews
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    OLD.date, 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_readings_insert AFTER INSERT ON readings
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    coalesce((SELECT date FROM reviews WHERE id = NEW.review_id), '0000-00-00'), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_readings_update AFTER UPDATE ON readings
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    min(
        coalesce((SELECT date FROM reviews WHERE id = OLD.review_id), '0000-00-00'),
        coalesce((SELECT date FROM reviews WHERE id = NEW.review_id), '0000-00-00')), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_readings_delete AFTER DELETE ON readings
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    coalesce((SELECT date FROM reviews WHERE id = OLD.review_id), '0000-00-00'), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_target_outcomes_insert AFTER INSERT ON target_outcomes
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    coalesce((SELECT date FROM reviews WHERE id = NEW.review_id), '0000-00-00'), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_target_outcomes_update AFTER UPDATE ON target_outcomes
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    min(
        coalesce((SELECT date FROM reviews WHERE id = OLD.review_id), '0000-00-00'),
        coalesce((SELECT date FROM reviews WHERE id = NEW.review_id), '0000-00-00')), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_target_outcomes_delete AFTER DELETE ON target_outcomes
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    coalesce((SELECT date FROM reviews WHERE id = OLD.review_id), '0000-00-00'), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_family_views_insert AFTER INSERT ON family_views
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    substr(NEW.created_at, 1, 10), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_family_views_update AFTER UPDATE ON family_views
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    min(
        substr(OLD.created_at, 1, 10),
        substr(NEW.created_at, 1, 10)), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_family_views_delete AFTER DELETE ON family_views
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    substr(OLD.created_at, 1, 10), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_targets_insert AFTER INSERT ON targets
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    coalesce((SELECT date FROM reviews WHERE id = NEW.set_in_review_id), '0000-00-00'), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_targets_update AFTER UPDATE ON targets
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    min(
        coalesce((SELECT date FROM reviews WHERE id = OLD.set_in_review_id), '0000-00-00'),
        coalesce((SELECT date FROM reviews WHERE id = NEW.set_in_review_id), '0000-00-00')), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_targets_delete AFTER DELETE ON targets
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    coalesce((SELECT date FROM reviews WHERE id = OLD.set_in_review_id), '0000-00-00'), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_children_insert AFTER INSERT ON children
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_children_update AFTER UPDATE ON children
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_children_delete AFTER DELETE ON children
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_caseloads_insert AFTER INSERT ON caseloads
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_caseloads_update AFTER UPDATE ON caseloads
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_caseloads_delete AFTER DELETE ON caseloads
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_services_insert AFTER INSERT ON services
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_services_update AFTER UPDATE ON services
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_services_delete AFTER DELETE ON services
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_stars_insert AFTER INSERT ON stars
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_stars_update AFTER UPDATE ON stars
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_stars_delete AFTER DELETE ON stars
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_star_versions_insert AFTER INSERT ON star_versions
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_star_versions_update AFTER UPDATE ON star_versions
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_star_versions_delete AFTER DELETE ON star_versions
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_domains_insert AFTER INSERT ON domains
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_domains_update AFTER UPDATE ON domains
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_domains_delete AFTER DELETE ON domains
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_stages_insert AFTER INSERT ON stages
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_stages_update AFTER UPDATE ON stages
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_stages_delete AFTER DELETE ON stages
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_service_intervals_insert AFTER INSERT ON service_intervals
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_service_intervals_update AFTER UPDATE ON service_intervals
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_undated_service_intervals_delete AFTER DELETE ON service_intervals
BEGIN UPDATE figures_version_undated SET n = n + 1; END;
"""

# The caseload listed by name reads children in name order and stops when its page is full.
M015_CHILDREN_BY_NAME = """
CREATE INDEX IF NOT EXISTS children_by_name ON children (family_name, given_name);
"""

# The child's own view is a figure (pct_reviews_with_child_view): its writes move the figures'
# version of its review's date, as readings do.
M016_CHILD_READINGS_FIGURES_VERSION = """
CREATE TRIGGER IF NOT EXISTS figures_day_child_readings_insert AFTER INSERT ON child_readings
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    coalesce((SELECT date FROM reviews WHERE id = NEW.review_id), '0000-00-00'), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_child_readings_update AFTER UPDATE ON child_readings
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    min(
        coalesce((SELECT date FROM reviews WHERE id = OLD.review_id), '0000-00-00'),
        coalesce((SELECT date FROM reviews WHERE id = NEW.review_id), '0000-00-00')), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS figures_day_child_readings_delete AFTER DELETE ON child_readings
BEGIN INSERT INTO figures_version_by_day (day, n) VALUES (
    coalesce((SELECT date FROM reviews WHERE id = OLD.review_id), '0000-00-00'), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1; END;
"""

# Nothing reads data_version since the feed's cache keys on the figures' version by date
# (FIGURES_VERSION_BY_DAY): its triggers were an extra write in every review's transaction.
M017_DROP_DATA_VERSION = """
DROP TRIGGER IF EXISTS data_version_caseloads_delete;
DROP TRIGGER IF EXISTS data_version_caseloads_insert;
DROP TRIGGER IF EXISTS data_version_caseloads_update;
DROP TRIGGER IF EXISTS data_version_child_readings_delete;
DROP TRIGGER IF EXISTS data_version_child_readings_insert;
DROP TRIGGER IF EXISTS data_version_child_readings_update;
DROP TRIGGER IF EXISTS data_version_children_delete;
DROP TRIGGER IF EXISTS data_version_children_insert;
DROP TRIGGER IF EXISTS data_version_children_update;
DROP TRIGGER IF EXISTS data_version_domains_delete;
DROP TRIGGER IF EXISTS data_version_domains_insert;
DROP TRIGGER IF EXISTS data_version_domains_update;
DROP TRIGGER IF EXISTS data_version_family_views_delete;
DROP TRIGGER IF EXISTS data_version_family_views_insert;
DROP TRIGGER IF EXISTS data_version_family_views_update;
DROP TRIGGER IF EXISTS data_version_readings_delete;
DROP TRIGGER IF EXISTS data_version_readings_insert;
DROP TRIGGER IF EXISTS data_version_readings_update;
DROP TRIGGER IF EXISTS data_version_reviews_delete;
DROP TRIGGER IF EXISTS data_version_reviews_insert;
DROP TRIGGER IF EXISTS data_version_reviews_update;
DROP TRIGGER IF EXISTS data_version_services_delete;
DROP TRIGGER IF EXISTS data_version_services_insert;
DROP TRIGGER IF EXISTS data_version_services_update;
DROP TRIGGER IF EXISTS data_version_stages_delete;
DROP TRIGGER IF EXISTS data_version_stages_insert;
DROP TRIGGER IF EXISTS data_version_stages_update;
DROP TRIGGER IF EXISTS data_version_star_versions_delete;
DROP TRIGGER IF EXISTS data_version_star_versions_insert;
DROP TRIGGER IF EXISTS data_version_star_versions_update;
DROP TRIGGER IF EXISTS data_version_target_outcomes_delete;
DROP TRIGGER IF EXISTS data_version_target_outcomes_insert;
DROP TRIGGER IF EXISTS data_version_target_outcomes_update;
DROP TRIGGER IF EXISTS data_version_targets_delete;
DROP TRIGGER IF EXISTS data_version_targets_insert;
DROP TRIGGER IF EXISTS data_version_targets_update;
DROP TABLE IF EXISTS data_version;
"""

# The scorecard's remaining measures from stored facts, kept like review_facts (M010_REVIEW_FACTS) by
# the refresh of a (child, service) pair, which is recreated here with them; so their rule has one
# home too. Per counted review: the child's own view, the family's view and how its readings compare
# with the practitioner's (per domain too); per child and period (each quarter and financial year)
# the sums a goal attainment T-score is made of (gas.t_score_of_sums); per family rating its UK
# quarter; and the distance travelled as a whole number of 1/27720 points (27720 is the least common
# multiple of 1 to 12, and a star has at most 12 domains, so a difference of two means of whole
# points is exact). Their sums by quarter (or period) let a service's figures read a few rows.
M018_MORE_FACTS = """
ALTER TABLE review_facts ADD COLUMN distance_units INTEGER;
CREATE TABLE IF NOT EXISTS review_distance_by_quarter (
    service_id INTEGER NOT NULL,
    quarter TEXT NOT NULL,
    next_quarter TEXT NOT NULL,
    units INTEGER NOT NULL,
    children INTEGER NOT NULL,
    PRIMARY KEY (service_id, quarter, next_quarter, units)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS review_distance_add AFTER INSERT ON review_facts
WHEN NEW.distance_units IS NOT NULL
BEGIN
    INSERT INTO review_distance_by_quarter VALUES (
        NEW.service_id, NEW.quarter, NEW.next_quarter, NEW.distance_units, 1)
    ON CONFLICT DO UPDATE SET children = children + 1;
END;
CREATE TRIGGER IF NOT EXISTS review_distance_take AFTER DELETE ON review_facts
WHEN OLD.distance_units IS NOT NULL
BEGIN
    UPDATE review_distance_by_quarter SET children = children - 1
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter AND next_quarter = OLD.next_quarter
      AND units = OLD.distance_units;
    DELETE FROM review_distance_by_quarter
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter AND next_quarter = OLD.next_quarter
      AND units = OLD.distance_units AND children = 0;
END;

-- Per counted review and domain: the family's readings paired with the practitioner's (both
-- assessed) and how many agree (within 1 point: goals_and_views.AGREE_WITHIN).
CREATE TABLE IF NOT EXISTS review_view_domain_facts (
    review_id INTEGER NOT NULL,
    domain_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    child_id INTEGER NOT NULL,
    date TEXT NOT NULL,
    quarter TEXT NOT NULL,
    pairs INTEGER NOT NULL,
    agreed INTEGER NOT NULL,
    PRIMARY KEY (review_id, domain_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS review_view_domain_facts_by_service_date
    ON review_view_domain_facts (service_id, date, child_id, domain_id, pairs, agreed);
CREATE INDEX IF NOT EXISTS review_view_domain_facts_by_child
    ON review_view_domain_facts (service_id, child_id);
-- Per counted review: the child's own view given, the family's view given, compared (a pair at least).
CREATE TABLE IF NOT EXISTS review_view_facts (
    review_id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL,
    child_id INTEGER NOT NULL,
    date TEXT NOT NULL,
    quarter TEXT NOT NULL,
    child_view INTEGER NOT NULL,
    family_view INTEGER NOT NULL,
    compared INTEGER NOT NULL,
    pairs INTEGER NOT NULL,
    agreed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS review_view_facts_by_service_date ON review_view_facts (
    service_id, date, child_id, child_view, family_view, compared, pairs, agreed);
CREATE INDEX IF NOT EXISTS review_view_facts_by_child ON review_view_facts (service_id, child_id);
CREATE TABLE IF NOT EXISTS review_view_facts_by_quarter (
    service_id INTEGER NOT NULL,
    quarter TEXT NOT NULL,
    child_view INTEGER NOT NULL,
    family_view INTEGER NOT NULL,
    compared INTEGER NOT NULL,
    pairs INTEGER NOT NULL,
    agreed INTEGER NOT NULL,
    reviews INTEGER NOT NULL,
    PRIMARY KEY (service_id, quarter)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS review_view_domain_facts_by_quarter (
    service_id INTEGER NOT NULL,
    quarter TEXT NOT NULL,
    domain_id INTEGER NOT NULL,
    compared INTEGER NOT NULL,
    pairs INTEGER NOT NULL,
    agreed INTEGER NOT NULL,
    PRIMARY KEY (service_id, quarter, domain_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS review_view_facts_add AFTER INSERT ON review_view_facts
BEGIN
    INSERT INTO review_view_facts_by_quarter VALUES (
        NEW.service_id, NEW.quarter, NEW.child_view, NEW.family_view, NEW.compared, NEW.pairs, NEW.agreed, 1)
    ON CONFLICT DO UPDATE SET child_view = child_view + excluded.child_view,
        family_view = family_view + excluded.family_view, compared = compared + excluded.compared,
        pairs = pairs + excluded.pairs, agreed = agreed + excluded.agreed, reviews = reviews + 1;
END;
CREATE TRIGGER IF NOT EXISTS review_view_facts_take AFTER DELETE ON review_view_facts
BEGIN
    UPDATE review_view_facts_by_quarter SET child_view = child_view - OLD.child_view,
        family_view = family_view - OLD.family_view, compared = compared - OLD.compared,
        pairs = pairs - OLD.pairs, agreed = agreed - OLD.agreed, reviews = reviews - 1
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter;
    DELETE FROM review_view_facts_by_quarter
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter AND reviews = 0;
END;
CREATE TRIGGER IF NOT EXISTS review_view_domain_facts_add AFTER INSERT ON review_view_domain_facts
BEGIN
    INSERT INTO review_view_domain_facts_by_quarter VALUES (
        NEW.service_id, NEW.quarter, NEW.domain_id, 1, NEW.pairs, NEW.agreed)
    ON CONFLICT DO UPDATE SET compared = compared + 1, pairs = pairs + excluded.pairs,
        agreed = agreed + excluded.agreed;
END;
CREATE TRIGGER IF NOT EXISTS review_view_domain_facts_take AFTER DELETE ON review_view_domain_facts
BEGIN
    UPDATE review_view_domain_facts_by_quarter SET compared = compared - 1, pairs = pairs - OLD.pairs,
        agreed = agreed - OLD.agreed
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter AND domain_id = OLD.domain_id;
    DELETE FROM review_view_domain_facts_by_quarter
    WHERE service_id = OLD.service_id AND quarter = OLD.quarter AND domain_id = OLD.domain_id
      AND compared = 0;
END;

-- Per child, service and period (each quarter and each financial year, the periods the scorecard
-- has) in which targets were closed by a counted review (not withdrawn, with a level): the sums of
-- weight × level, weight squared and weight (weight: gas.weight); and how many children of a service
-- have each combination of sums in a period, which is all its T-scores need.
CREATE TABLE IF NOT EXISTS gas_facts (
    service_id INTEGER NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    child_id INTEGER NOT NULL,
    weighted INTEGER NOT NULL,
    squares INTEGER NOT NULL,
    weights INTEGER NOT NULL,
    PRIMARY KEY (service_id, start, "end", child_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gas_facts_by_child ON gas_facts (service_id, child_id);
CREATE TABLE IF NOT EXISTS gas_facts_by_period (
    service_id INTEGER NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    weighted INTEGER NOT NULL,
    squares INTEGER NOT NULL,
    weights INTEGER NOT NULL,
    children INTEGER NOT NULL,
    PRIMARY KEY (service_id, start, "end", weighted, squares, weights)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS gas_facts_add AFTER INSERT ON gas_facts
BEGIN
    INSERT INTO gas_facts_by_period VALUES (
        NEW.service_id, NEW.start, NEW."end", NEW.weighted, NEW.squares, NEW.weights, 1)
    ON CONFLICT DO UPDATE SET children = children + 1;
END;
CREATE TRIGGER IF NOT EXISTS gas_facts_take AFTER DELETE ON gas_facts
BEGIN
    UPDATE gas_facts_by_period SET children = children - 1
    WHERE service_id = OLD.service_id AND start = OLD.start AND "end" = OLD."end"
      AND weighted = OLD.weighted AND squares = OLD.squares AND weights = OLD.weights;
    DELETE FROM gas_facts_by_period
    WHERE service_id = OLD.service_id AND start = OLD.start AND "end" = OLD."end"
      AND weighted = OLD.weighted AND squares = OLD.squares AND weights = OLD.weights AND children = 0;
END;

-- Per family rating of a counted review: the first day of the UK quarter it was given in. created_at
-- is UTC; a quarter starts at a UK midnight (periods.utc_bounds), which is 23:00 UTC the day before
-- on 1 April, 1 July and 1 October (always summer time) and 00:00 UTC on 1 January: so the UK day is
-- the day an hour later, but on 31 December the UTC day itself. Positive: 'very_good' or 'good'
-- (fft.POSITIVE).
CREATE TABLE IF NOT EXISTS family_rating_facts (
    family_view_id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL,
    child_id INTEGER NOT NULL,
    quarter TEXT NOT NULL,
    rating INTEGER NOT NULL,
    positive INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS family_rating_facts_by_child ON family_rating_facts (service_id, child_id);
CREATE TABLE IF NOT EXISTS family_rating_facts_by_quarter (
    quarter TEXT NOT NULL,
    service_id INTEGER NOT NULL,
    ratings INTEGER NOT NULL,
    rating_sum INTEGER NOT NULL,
    positive INTEGER NOT NULL,
    PRIMARY KEY (quarter, service_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS family_rating_facts_add AFTER INSERT ON family_rating_facts
BEGIN
    INSERT INTO family_rating_facts_by_quarter
    VALUES (NEW.quarter, NEW.service_id, 1, NEW.rating, NEW.positive)
    ON CONFLICT DO UPDATE SET ratings = ratings + 1, rating_sum = rating_sum + excluded.rating_sum,
        positive = positive + excluded.positive;
END;
CREATE TRIGGER IF NOT EXISTS family_rating_facts_take AFTER DELETE ON family_rating_facts
BEGIN
    UPDATE family_rating_facts_by_quarter SET ratings = ratings - 1, rating_sum = rating_sum - OLD.rating,
        positive = positive - OLD.positive
    WHERE quarter = OLD.quarter AND service_id = OLD.service_id;
    DELETE FROM family_rating_facts_by_quarter
    WHERE quarter = OLD.quarter AND service_id = OLD.service_id AND ratings = 0;
END;

-- The refresh of a pair's facts (as in M010_REVIEW_FACTS), now with the facts above.
DROP TRIGGER IF EXISTS review_facts_refresh;
CREATE TRIGGER review_facts_refresh AFTER INSERT ON review_facts_pending
WHEN (SELECT paused FROM review_facts_state) = 0
BEGIN
    DELETE FROM review_domain_facts WHERE review_id IN (
        SELECT review_id FROM review_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id);
    DELETE FROM review_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    DELETE FROM review_view_domain_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    DELETE FROM review_view_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    DELETE FROM gas_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    DELETE FROM family_rating_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    INSERT INTO review_facts (review_id, service_id, date, child_id, first_id, previous_date, next_date,
                              on_time, distance, distance_units, targets_closed, targets_met,
                              targets_partly_met, targets_not_met, quarter, next_quarter)
    SELECT c.id, c.service_id, c.date, c.child_id, c.first_id, c.previous_date, c.next_date, 0,
           CASE WHEN c.first_id <> c.id THEN
               (SELECT avg(score) FROM readings WHERE review_id = c.id)
             - (SELECT avg(score) FROM readings WHERE review_id = c.first_id) END,
           CASE WHEN c.first_id <> c.id THEN
               (SELECT sum(score) * 27720 / count(score) FROM readings WHERE review_id = c.id)
             - (SELECT sum(score) * 27720 / count(score) FROM readings WHERE review_id = c.first_id) END,
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome <> 'withdrawn'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'met'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'partly_met'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'not_met'),
           date(c.date, 'start of month',
                '-' || ((CAST(strftime('%m', c.date) AS INTEGER) - 1) % 3) || ' months'),
           coalesce(date(c.next_date, 'start of month',
                         '-' || ((CAST(strftime('%m', c.next_date) AS INTEGER) - 1) % 3) || ' months'),
                    '9999-12-31')
    FROM (
        SELECT id, service_id, child_id, date,
               first_value(id) OVER (ORDER BY date, id) AS first_id,
               lag(date) OVER (ORDER BY date, id) AS previous_date,
               lead(date) OVER (ORDER BY date, id) AS next_date
        FROM reviews
        WHERE service_id = NEW.service_id AND child_id = NEW.child_id
          AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL
    ) c;
    UPDATE review_facts SET on_time = (previous_date IS NULL OR date <= (
            SELECT min(max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from))
            FROM service_intervals i
            WHERE i.service_id = review_facts.service_id
              AND max(date(previous_date, '+' || i.review_interval_days || ' days'), i.effective_from)
                  < coalesce((SELECT min(n.effective_from) FROM service_intervals n
                              WHERE n.service_id = i.service_id AND n.effective_from > i.effective_from),
                             '9999-12-31')))
    WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    INSERT INTO review_domain_facts (service_id, date, review_id, domain_id, child_id, next_date, distance,
                                     quarter, next_quarter)
    SELECT service_id, date, review_id, domain_id, child_id, next_date, distance, quarter, next_quarter
    FROM (
        SELECT f.service_id, f.date, f.review_id, fr.domain_id, f.child_id, f.next_date, f.quarter,
               f.next_quarter,
               coalesce(
                   (SELECT lr.score FROM readings lr
                    WHERE lr.review_id = f.review_id AND lr.domain_id = fr.domain_id),
                   (SELECT lr.score FROM domains fd
                    JOIN domains ld ON ld.key = fd.key AND ld.id <> fd.id
                    JOIN readings lr ON lr.review_id = f.review_id AND lr.domain_id = ld.id
                    WHERE fd.id = fr.domain_id)
               ) - fr.score AS distance
        FROM review_facts f
        JOIN readings fr ON fr.review_id = f.first_id
        WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id AND f.first_id <> f.review_id
        LIMIT -1  -- keeps the subquery a co-routine, so each distance is worked out once
    ) WHERE distance IS NOT NULL;
    INSERT INTO review_view_domain_facts (review_id, domain_id, service_id, child_id, date, quarter, pairs,
                                          agreed)
    SELECT f.review_id, fr.domain_id, f.service_id, f.child_id, f.date, f.quarter, count(*),
           sum(abs(fr.score - rd.score) <= 1)
    FROM review_facts f
    JOIN family_views fv ON fv.review_id = f.review_id
    JOIN family_view_readings fr ON fr.family_view_id = fv.id
    JOIN readings rd ON rd.review_id = f.review_id AND rd.domain_id = fr.domain_id AND rd.score IS NOT NULL
    WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id
    GROUP BY f.review_id, fr.domain_id;
    INSERT INTO review_view_facts (review_id, service_id, child_id, date, quarter, child_view, family_view,
                                   compared, pairs, agreed)
    SELECT f.review_id, f.service_id, f.child_id, f.date, f.quarter,
           EXISTS (SELECT 1 FROM child_readings cr WHERE cr.review_id = f.review_id),
           EXISTS (SELECT 1 FROM family_views fv WHERE fv.review_id = f.review_id),
           coalesce(v.pairs, 0) > 0, coalesce(v.pairs, 0), coalesce(v.agreed, 0)
    FROM review_facts f
    LEFT JOIN (SELECT review_id, sum(pairs) AS pairs, sum(agreed) AS agreed FROM review_view_domain_facts
               WHERE service_id = NEW.service_id AND child_id = NEW.child_id GROUP BY review_id) v
        ON v.review_id = f.review_id
    WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id;
    INSERT INTO gas_facts (service_id, start, "end", child_id, weighted, squares, weights)
    SELECT service_id, start, date(start, months, '-1 day'), child_id, sum(gas_level * w), sum(w * w), sum(w)
    FROM (
        SELECT f.service_id, f.child_id, o.gas_level, p.months,
               coalesce(t.importance, 1) * coalesce(t.difficulty, 1) AS w,
               CASE WHEN p.months = '+3 months' THEN f.quarter
                    WHEN substr(f.quarter, 6, 2) >= '04' THEN substr(f.quarter, 1, 4) || '-04-01'
                    ELSE (CAST(substr(f.quarter, 1, 4) AS INTEGER) - 1) || '-04-01' END AS start
        FROM review_facts f
        JOIN target_outcomes o ON o.review_id = f.review_id
        JOIN targets t ON t.id = o.target_id
        CROSS JOIN (SELECT '+3 months' AS months UNION ALL SELECT '+12 months') p
        WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id
          AND o.outcome <> 'withdrawn' AND o.gas_level IS NOT NULL
    )
    GROUP BY service_id, child_id, start, months;
    INSERT INTO family_rating_facts (family_view_id, service_id, child_id, quarter, rating, positive)
    SELECT id, service_id, child_id,
           date(day, 'start of month', '-' || ((CAST(strftime('%m', day) AS INTEGER) - 1) % 3) || ' months'),
           rating, positive
    FROM (
        SELECT fv.id, f.service_id, f.child_id, fv.rating,
               coalesce(fv.fft_answer IN ('very_good', 'good'), 0) AS positive,
               CASE WHEN substr(fv.created_at, 6, 5) = '12-31' THEN substr(fv.created_at, 1, 10)
                    ELSE date(fv.created_at, '+1 hour') END AS day
        FROM review_facts f
        JOIN family_views fv ON fv.review_id = f.review_id
        WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id AND fv.rating IS NOT NULL
    );
    DELETE FROM review_facts_pending WHERE child_id = NEW.child_id AND service_id = NEW.service_id;
END;

-- What the new facts are also made of: queue the pair of the counted review a write touches.
CREATE TRIGGER IF NOT EXISTS more_facts_outcome_levels AFTER UPDATE OF gas_level ON target_outcomes
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id IN (OLD.review_id, NEW.review_id)
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_target_weights AFTER UPDATE OF importance, difficulty ON targets
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT r.child_id, r.service_id FROM target_outcomes o JOIN reviews r ON r.id = o.review_id
    WHERE o.target_id = NEW.id AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_child_readings_insert AFTER INSERT ON child_readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id = NEW.review_id
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_child_readings_update AFTER UPDATE OF review_id ON child_readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id IN (OLD.review_id, NEW.review_id)
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_child_readings_delete AFTER DELETE ON child_readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id = OLD.review_id
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_family_views_insert AFTER INSERT ON family_views
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id = NEW.review_id
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_family_views_update
AFTER UPDATE OF review_id, rating, fft_answer, created_at ON family_views
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id IN (OLD.review_id, NEW.review_id)
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_family_views_delete AFTER DELETE ON family_views
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT child_id, service_id FROM reviews WHERE id = OLD.review_id
      AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_family_view_readings_insert AFTER INSERT ON family_view_readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT r.child_id, r.service_id FROM family_views fv JOIN reviews r ON r.id = fv.review_id
    WHERE fv.id = NEW.family_view_id
      AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_family_view_readings_update
AFTER UPDATE OF family_view_id, domain_id, score ON family_view_readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT r.child_id, r.service_id FROM family_views fv JOIN reviews r ON r.id = fv.review_id
    WHERE fv.id IN (OLD.family_view_id, NEW.family_view_id)
      AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS more_facts_family_view_readings_delete AFTER DELETE ON family_view_readings
BEGIN
    INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
    SELECT r.child_id, r.service_id FROM family_views fv JOIN reviews r ON r.id = fv.review_id
    WHERE fv.id = OLD.family_view_id
      AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL;
END;

-- An upgraded database gets every fact again, the new ones with them (facts.rebuild's steps).
DELETE FROM review_facts_by_quarter;
DELETE FROM review_domain_facts_by_quarter;
DELETE FROM review_domain_facts;
DELETE FROM review_facts;
DELETE FROM review_facts_pending;
UPDATE review_facts_state SET paused = 0;
INSERT OR IGNORE INTO review_facts_pending (child_id, service_id)
SELECT DISTINCT child_id, service_id FROM reviews
WHERE status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL;
"""

# A child's episodes with a service, discharged ones too: the review date's check and the services
# a family or an admin sees searched the service's whole caseload (or every caseload) without it.
M019_CASELOADS_BY_CHILD = """
CREATE INDEX IF NOT EXISTS caseloads_by_child ON caseloads (child_id, service_id, started_on);
"""

# The refresh of a pair's facts (as in M018_MORE_FACTS, the same rules) works the pair's facts out in
# empty scratch tables and then writes only the rows that differ from those stored: a review added
# after the child's others changes their latest review's next date and adds its own rows, where
# deleting and re-inserting every fact of the child (and the sums by quarter of each, by trigger) was
# most of a review's write. The scratch tables are emptied before the trigger ends, so they are
# always empty outside it. A row that differs is deleted and inserted again, so the sums by quarter
# move by its old and new values exactly as before.
M020_REFRESH_ONLY_CHANGED_FACTS = """
CREATE TABLE IF NOT EXISTS review_facts_new (
    review_id INTEGER PRIMARY KEY, service_id INTEGER, date TEXT, child_id INTEGER, first_id INTEGER,
    previous_date TEXT, next_date TEXT, on_time INTEGER, distance REAL, distance_units INTEGER,
    targets_closed INTEGER, targets_met INTEGER, targets_partly_met INTEGER, targets_not_met INTEGER,
    quarter TEXT, next_quarter TEXT
);
-- Read by the pair, as the stored facts are: without it the planner takes the table for a big one.
CREATE INDEX IF NOT EXISTS review_facts_new_by_child ON review_facts_new (service_id, child_id);
CREATE TABLE IF NOT EXISTS review_domain_facts_new (
    review_id INTEGER, domain_id INTEGER, service_id INTEGER, date TEXT, child_id INTEGER,
    next_date TEXT, distance INTEGER, quarter TEXT, next_quarter TEXT,
    PRIMARY KEY (review_id, domain_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS review_view_domain_facts_new (
    review_id INTEGER, domain_id INTEGER, service_id INTEGER, child_id INTEGER, date TEXT, quarter TEXT,
    pairs INTEGER, agreed INTEGER,
    PRIMARY KEY (review_id, domain_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS review_view_facts_new (
    review_id INTEGER PRIMARY KEY, service_id INTEGER, child_id INTEGER, date TEXT, quarter TEXT,
    child_view INTEGER, family_view INTEGER, compared INTEGER, pairs INTEGER, agreed INTEGER
);
CREATE TABLE IF NOT EXISTS gas_facts_new (
    service_id INTEGER, start TEXT, "end" TEXT, child_id INTEGER, weighted INTEGER, squares INTEGER,
    weights INTEGER,
    PRIMARY KEY (service_id, start, "end", child_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS family_rating_facts_new (
    family_view_id INTEGER PRIMARY KEY, service_id INTEGER, child_id INTEGER, quarter TEXT,
    rating INTEGER, positive INTEGER
);

DROP TRIGGER IF EXISTS review_facts_refresh;
CREATE TRIGGER review_facts_refresh AFTER INSERT ON review_facts_pending
WHEN (SELECT paused FROM review_facts_state) = 0
BEGIN
    -- The pair's facts as they should be (M018_MORE_FACTS' statements, into the scratch tables).
    INSERT INTO review_facts_new (review_id, service_id, date, child_id, first_id, previous_date, next_date,
                                  on_time, distance, distance_units, targets_closed, targets_met,
                                  targets_partly_met, targets_not_met, quarter, next_quarter)
    SELECT c.id, c.service_id, c.date, c.child_id, c.first_id, c.previous_date, c.next_date,
           (c.previous_date IS NULL OR c.date <= (
            SELECT min(max(date(c.previous_date, '+' || i.review_interval_days || ' days'), i.effective_from))
            FROM service_intervals i
            WHERE i.service_id = c.service_id
              AND max(date(c.previous_date, '+' || i.review_interval_days || ' days'), i.effective_from)
                  < coalesce((SELECT min(n.effective_from) FROM service_intervals n
                              WHERE n.service_id = i.service_id AND n.effective_from > i.effective_from),
                             '9999-12-31'))),
           CASE WHEN c.first_id <> c.id THEN
               (SELECT avg(score) FROM readings WHERE review_id = c.id)
             - (SELECT avg(score) FROM readings WHERE review_id = c.first_id) END,
           CASE WHEN c.first_id <> c.id THEN
               (SELECT sum(score) * 27720 / count(score) FROM readings WHERE review_id = c.id)
             - (SELECT sum(score) * 27720 / count(score) FROM readings WHERE review_id = c.first_id) END,
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome <> 'withdrawn'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'met'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'partly_met'),
           (SELECT count(*) FROM target_outcomes o WHERE o.review_id = c.id AND o.outcome = 'not_met'),
           date(c.date, 'start of month',
                '-' || ((CAST(strftime('%m', c.date) AS INTEGER) - 1) % 3) || ' months'),
           coalesce(date(c.next_date, 'start of month',
                         '-' || ((CAST(strftime('%m', c.next_date) AS INTEGER) - 1) % 3) || ' months'),
                    '9999-12-31')
    FROM (
        SELECT id, service_id, child_id, date,
               first_value(id) OVER (ORDER BY date, id) AS first_id,
               lag(date) OVER (ORDER BY date, id) AS previous_date,
               lead(date) OVER (ORDER BY date, id) AS next_date
        FROM reviews
        WHERE service_id = NEW.service_id AND child_id = NEW.child_id
          AND status = 'submitted' AND is_latest = 1 AND withdrawn_at IS NULL
    ) c;
    INSERT INTO review_domain_facts_new (service_id, date, review_id, domain_id, child_id, next_date,
                                         distance, quarter, next_quarter)
    SELECT service_id, date, review_id, domain_id, child_id, next_date, distance, quarter, next_quarter
    FROM (
        SELECT f.service_id, f.date, f.review_id, fr.domain_id, f.child_id, f.next_date, f.quarter,
               f.next_quarter,
               coalesce(
                   (SELECT lr.score FROM readings lr
                    WHERE lr.review_id = f.review_id AND lr.domain_id = fr.domain_id),
                   (SELECT lr.score FROM domains fd
                    JOIN domains ld ON ld.key = fd.key AND ld.id <> fd.id
                    JOIN readings lr ON lr.review_id = f.review_id AND lr.domain_id = ld.id
                    WHERE fd.id = fr.domain_id)
               ) - fr.score AS distance
        FROM review_facts_new f
        JOIN readings fr ON fr.review_id = f.first_id
        WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id AND f.first_id <> f.review_id
        LIMIT -1  -- keeps the subquery a co-routine, so each distance is worked out once
    ) WHERE distance IS NOT NULL;
    INSERT INTO review_view_domain_facts_new (review_id, domain_id, service_id, child_id, date, quarter,
                                              pairs, agreed)
    SELECT f.review_id, fr.domain_id, f.service_id, f.child_id, f.date, f.quarter, count(*),
           sum(abs(fr.score - rd.score) <= 1)
    FROM review_facts_new f
    JOIN family_views fv ON fv.review_id = f.review_id
    JOIN family_view_readings fr ON fr.family_view_id = fv.id
    JOIN readings rd ON rd.review_id = f.review_id AND rd.domain_id = fr.domain_id AND rd.score IS NOT NULL
    WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id
    GROUP BY f.review_id, fr.domain_id;
    INSERT INTO review_view_facts_new (review_id, service_id, child_id, date, quarter, child_view,
                                       family_view, compared, pairs, agreed)
    SELECT f.review_id, f.service_id, f.child_id, f.date, f.quarter,
           EXISTS (SELECT 1 FROM child_readings cr WHERE cr.review_id = f.review_id),
           EXISTS (SELECT 1 FROM family_views fv WHERE fv.review_id = f.review_id),
           coalesce(v.pairs, 0) > 0, coalesce(v.pairs, 0), coalesce(v.agreed, 0)
    FROM review_facts_new f
    LEFT JOIN (SELECT review_id, sum(pairs) AS pairs, sum(agreed) AS agreed FROM review_view_domain_facts_new
               GROUP BY review_id) v
        ON v.review_id = f.review_id
    WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id;
    INSERT INTO gas_facts_new (service_id, start, "end", child_id, weighted, squares, weights)
    SELECT service_id, start, date(start, months, '-1 day'), child_id, sum(gas_level * w), sum(w * w), sum(w)
    FROM (
        SELECT f.service_id, f.child_id, o.gas_level, p.months,
               coalesce(t.importance, 1) * coalesce(t.difficulty, 1) AS w,
               CASE WHEN p.months = '+3 months' THEN f.quarter
                    WHEN substr(f.quarter, 6, 2) >= '04' THEN substr(f.quarter, 1, 4) || '-04-01'
                    ELSE (CAST(substr(f.quarter, 1, 4) AS INTEGER) - 1) || '-04-01' END AS start
        FROM review_facts_new f
        JOIN target_outcomes o ON o.review_id = f.review_id
        JOIN targets t ON t.id = o.target_id
        CROSS JOIN (SELECT '+3 months' AS months UNION ALL SELECT '+12 months') p
        WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id
          AND o.outcome <> 'withdrawn' AND o.gas_level IS NOT NULL
    )
    GROUP BY service_id, child_id, start, months;
    INSERT INTO family_rating_facts_new (family_view_id, service_id, child_id, quarter, rating, positive)
    SELECT id, service_id, child_id,
           date(day, 'start of month', '-' || ((CAST(strftime('%m', day) AS INTEGER) - 1) % 3) || ' months'),
           rating, positive
    FROM (
        SELECT fv.id, f.service_id, f.child_id, fv.rating,
               coalesce(fv.fft_answer IN ('very_good', 'good'), 0) AS positive,
               CASE WHEN substr(fv.created_at, 6, 5) = '12-31' THEN substr(fv.created_at, 1, 10)
                    ELSE date(fv.created_at, '+1 hour') END AS day
        FROM review_facts_new f
        JOIN family_views fv ON fv.review_id = f.review_id
        WHERE f.service_id = NEW.service_id AND f.child_id = NEW.child_id AND fv.rating IS NOT NULL
    );

    -- The stored rows that differ go (by distance first: it finds the pair's rows by review_facts) ...
    DELETE FROM review_domain_facts WHERE (review_id, domain_id) IN (
        SELECT review_id, domain_id FROM (
            SELECT review_id, domain_id, service_id, date, child_id, next_date, distance, quarter,
                   next_quarter
            FROM review_domain_facts WHERE review_id IN (
                SELECT review_id FROM review_facts
                WHERE service_id = NEW.service_id AND child_id = NEW.child_id)
            EXCEPT
            SELECT review_id, domain_id, service_id, date, child_id, next_date, distance, quarter,
                   next_quarter
            FROM review_domain_facts_new));
    DELETE FROM review_facts WHERE review_id IN (
        SELECT review_id FROM (
            SELECT review_id, service_id, date, child_id, first_id, previous_date, next_date, on_time,
                   distance, distance_units, targets_closed, targets_met, targets_partly_met,
                   targets_not_met, quarter, next_quarter
            FROM review_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id
            EXCEPT
            SELECT review_id, service_id, date, child_id, first_id, previous_date, next_date, on_time,
                   distance, distance_units, targets_closed, targets_met, targets_partly_met,
                   targets_not_met, quarter, next_quarter
            FROM review_facts_new));
    DELETE FROM review_view_domain_facts WHERE (review_id, domain_id) IN (
        SELECT review_id, domain_id FROM (
            SELECT review_id, domain_id, service_id, child_id, date, quarter, pairs, agreed
            FROM review_view_domain_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id
            EXCEPT
            SELECT review_id, domain_id, service_id, child_id, date, quarter, pairs, agreed
            FROM review_view_domain_facts_new));
    DELETE FROM review_view_facts WHERE review_id IN (
        SELECT review_id FROM (
            SELECT review_id, service_id, child_id, date, quarter, child_view, family_view, compared,
                   pairs, agreed
            FROM review_view_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id
            EXCEPT
            SELECT review_id, service_id, child_id, date, quarter, child_view, family_view, compared,
                   pairs, agreed
            FROM review_view_facts_new));
    DELETE FROM gas_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id
      AND (start, "end") IN (
        SELECT start, "end" FROM (
            SELECT service_id, start, "end", child_id, weighted, squares, weights
            FROM gas_facts INDEXED BY gas_facts_by_child
            WHERE service_id = NEW.service_id AND child_id = NEW.child_id
            EXCEPT
            SELECT service_id, start, "end", child_id, weighted, squares, weights FROM gas_facts_new));
    DELETE FROM family_rating_facts WHERE family_view_id IN (
        SELECT family_view_id FROM (
            SELECT family_view_id, service_id, child_id, quarter, rating, positive
            FROM family_rating_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id
            EXCEPT
            SELECT family_view_id, service_id, child_id, quarter, rating, positive
            FROM family_rating_facts_new));

    -- ... and the new or changed rows come in.
    INSERT INTO review_facts (review_id, service_id, date, child_id, first_id, previous_date, next_date,
                              on_time, distance, distance_units, targets_closed, targets_met,
                              targets_partly_met, targets_not_met, quarter, next_quarter)
    SELECT review_id, service_id, date, child_id, first_id, previous_date, next_date, on_time,
           distance, distance_units, targets_closed, targets_met, targets_partly_met, targets_not_met,
           quarter, next_quarter
    FROM review_facts_new
    EXCEPT
    SELECT review_id, service_id, date, child_id, first_id, previous_date, next_date, on_time,
           distance, distance_units, targets_closed, targets_met, targets_partly_met, targets_not_met,
           quarter, next_quarter
    FROM review_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    INSERT INTO review_domain_facts (review_id, domain_id, service_id, date, child_id, next_date, distance,
                                     quarter, next_quarter)
    SELECT review_id, domain_id, service_id, date, child_id, next_date, distance, quarter, next_quarter
    FROM review_domain_facts_new
    EXCEPT
    SELECT review_id, domain_id, service_id, date, child_id, next_date, distance, quarter, next_quarter
    FROM review_domain_facts WHERE review_id IN (SELECT review_id FROM review_facts_new);
    INSERT INTO review_view_domain_facts (review_id, domain_id, service_id, child_id, date, quarter, pairs,
                                          agreed)
    SELECT review_id, domain_id, service_id, child_id, date, quarter, pairs, agreed
    FROM review_view_domain_facts_new
    EXCEPT
    SELECT review_id, domain_id, service_id, child_id, date, quarter, pairs, agreed
    FROM review_view_domain_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    INSERT INTO review_view_facts (review_id, service_id, child_id, date, quarter, child_view, family_view,
                                   compared, pairs, agreed)
    SELECT review_id, service_id, child_id, date, quarter, child_view, family_view, compared, pairs, agreed
    FROM review_view_facts_new
    EXCEPT
    SELECT review_id, service_id, child_id, date, quarter, child_view, family_view, compared, pairs, agreed
    FROM review_view_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    INSERT INTO gas_facts (service_id, start, "end", child_id, weighted, squares, weights)
    SELECT service_id, start, "end", child_id, weighted, squares, weights FROM gas_facts_new
    EXCEPT
    SELECT service_id, start, "end", child_id, weighted, squares, weights
    FROM gas_facts INDEXED BY gas_facts_by_child
    WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
    INSERT INTO family_rating_facts (family_view_id, service_id, child_id, quarter, rating, positive)
    SELECT family_view_id, service_id, child_id, quarter, rating, positive FROM family_rating_facts_new
    EXCEPT
    SELECT family_view_id, service_id, child_id, quarter, rating, positive
    FROM family_rating_facts WHERE service_id = NEW.service_id AND child_id = NEW.child_id;

    DELETE FROM review_facts_new;
    DELETE FROM review_domain_facts_new;
    DELETE FROM review_view_domain_facts_new;
    DELETE FROM review_view_facts_new;
    DELETE FROM gas_facts_new;
    DELETE FROM family_rating_facts_new;
    DELETE FROM review_facts_pending WHERE child_id = NEW.child_id AND service_id = NEW.service_id;
END;
"""

# The caseload's "next review due" order without a look-up per child: each (service, child) pair
# that has ever been on a caseload, with the date of its last counted review (NULL: never reviewed),
# kept by triggers in the same transaction as every write to a review or a caseload, however it is
# written (a form, the API, an amendment, a withdrawal, a discarded draft, the import, an erasure).
# The next review is due a fixed interval after it, so the service's pairs in this date order are
# its caseload in due order (never reviewed first), read from an index one page at a time.
# "Counted" is rules.counted's, frozen here as this migration ships; facts.rebuild refills it.
M021_CASELOAD_LAST_REVIEWS = """
CREATE TABLE IF NOT EXISTS caseload_last_reviews (
    service_id INTEGER NOT NULL,
    child_id INTEGER NOT NULL,
    last_review TEXT,
    PRIMARY KEY (service_id, child_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS caseload_last_reviews_by_date ON caseload_last_reviews (service_id, last_review);
-- Her own list's count read from one index: no caseload row is visited.
CREATE INDEX IF NOT EXISTS caseloads_by_service_practitioner
    ON caseloads (service_id, discharged_on, practitioner_id);
-- The drafts of the children a page shows, from an index of drafts alone (a handful at any time).
CREATE INDEX IF NOT EXISTS reviews_drafts_by_child ON reviews (child_id, service_id) WHERE status = 'draft';

CREATE TRIGGER IF NOT EXISTS caseload_last_reviews_caseloads_insert AFTER INSERT ON caseloads
BEGIN
    INSERT INTO caseload_last_reviews (service_id, child_id, last_review)
    VALUES (NEW.service_id, NEW.child_id, (SELECT max(r.date) FROM reviews r
        WHERE r.service_id = NEW.service_id AND r.child_id = NEW.child_id
          AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL))
    ON CONFLICT (service_id, child_id) DO UPDATE SET last_review = excluded.last_review;
END;
CREATE TRIGGER IF NOT EXISTS caseload_last_reviews_caseloads_update
AFTER UPDATE OF child_id, service_id ON caseloads
BEGIN
    DELETE FROM caseload_last_reviews WHERE service_id = OLD.service_id AND child_id = OLD.child_id
      AND NOT EXISTS (SELECT 1 FROM caseloads c
                      WHERE c.service_id = OLD.service_id AND c.child_id = OLD.child_id);
    INSERT INTO caseload_last_reviews (service_id, child_id, last_review)
    VALUES (NEW.service_id, NEW.child_id, (SELECT max(r.date) FROM reviews r
        WHERE r.service_id = NEW.service_id AND r.child_id = NEW.child_id
          AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL))
    ON CONFLICT (service_id, child_id) DO UPDATE SET last_review = excluded.last_review;
END;
-- A pair no caseload holds any more (an erasure) leaves nothing behind.
CREATE TRIGGER IF NOT EXISTS caseload_last_reviews_caseloads_delete AFTER DELETE ON caseloads
BEGIN
    DELETE FROM caseload_last_reviews WHERE service_id = OLD.service_id AND child_id = OLD.child_id
      AND NOT EXISTS (SELECT 1 FROM caseloads c
                      WHERE c.service_id = OLD.service_id AND c.child_id = OLD.child_id);
END;

-- A review that starts or stops counting, or moves date, child or service, sets its pairs' dates
-- again (drafts, old versions and withdrawn reviews matter only when they stop or start counting).
CREATE TRIGGER IF NOT EXISTS caseload_last_reviews_reviews_insert AFTER INSERT ON reviews
WHEN NEW.status = 'submitted' AND NEW.is_latest = 1 AND NEW.withdrawn_at IS NULL
BEGIN
    UPDATE caseload_last_reviews SET last_review = (SELECT max(r.date) FROM reviews r
        WHERE r.service_id = NEW.service_id AND r.child_id = NEW.child_id
          AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL)
    WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
END;
CREATE TRIGGER IF NOT EXISTS caseload_last_reviews_reviews_update
AFTER UPDATE OF status, is_latest, withdrawn_at, date, child_id, service_id ON reviews
WHEN (OLD.status = 'submitted' AND OLD.is_latest = 1 AND OLD.withdrawn_at IS NULL)
  OR (NEW.status = 'submitted' AND NEW.is_latest = 1 AND NEW.withdrawn_at IS NULL)
BEGIN
    UPDATE caseload_last_reviews SET last_review = (SELECT max(r.date) FROM reviews r
        WHERE r.service_id = OLD.service_id AND r.child_id = OLD.child_id
          AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL)
    WHERE service_id = OLD.service_id AND child_id = OLD.child_id;
    UPDATE caseload_last_reviews SET last_review = (SELECT max(r.date) FROM reviews r
        WHERE r.service_id = NEW.service_id AND r.child_id = NEW.child_id
          AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL)
    WHERE service_id = NEW.service_id AND child_id = NEW.child_id;
END;
CREATE TRIGGER IF NOT EXISTS caseload_last_reviews_reviews_delete AFTER DELETE ON reviews
WHEN OLD.status = 'submitted' AND OLD.is_latest = 1 AND OLD.withdrawn_at IS NULL
BEGIN
    UPDATE caseload_last_reviews SET last_review = (SELECT max(r.date) FROM reviews r
        WHERE r.service_id = OLD.service_id AND r.child_id = OLD.child_id
          AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL)
    WHERE service_id = OLD.service_id AND child_id = OLD.child_id;
END;

-- An upgraded database gets every pair on a caseload, with its date.
INSERT OR REPLACE INTO caseload_last_reviews (service_id, child_id, last_review)
SELECT p.service_id, p.child_id, (SELECT max(r.date) FROM reviews r
    WHERE r.service_id = p.service_id AND r.child_id = p.child_id
      AND r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL)
FROM (SELECT DISTINCT service_id, child_id FROM caseloads) p;
"""

# Read audit entries wait in per-process files beside the database (audit_spool.py) and are copied
# into audit_log in batches: how far each file has been copied, kept in the same transaction as the
# rows it copied, so that no entry is lost or copied twice whatever stops the process.
M022_AUDIT_SPOOL = """
CREATE TABLE audit_spool (
    file TEXT PRIMARY KEY,
    imported_to INTEGER NOT NULL
);
"""

MIGRATIONS = [
    M001_CORE,
    M002_SCORECARD_INDEX,
    M003_IMPORT_UPLOADS,
    M004_WITHDRAWN_REVIEWS,
    M005_CHILD_ERASURES,
    M006_INTERVALS_NEEDS_MEANINGFUL_CHANGE,
    M007_SESSIONS_AND_THROTTLE,
    M008_DATA_VERSION,
    M009_REVIEW_NOTICES,
    M010_REVIEW_FACTS,
    M011_CHILD_VIEW,
    M012_REGION_FEEDS,
    M013_GAS_AND_FFT,
    M014_FIGURES_VERSION_BY_DAY,
    M015_CHILDREN_BY_NAME,
    M016_CHILD_READINGS_FIGURES_VERSION,
    M017_DROP_DATA_VERSION,
    M018_MORE_FACTS,
    M019_CASELOADS_BY_CHILD,
    M020_REFRESH_ONLY_CHANGED_FACTS,
    M021_CASELOAD_LAST_REVIEWS,
    M022_AUDIT_SPOOL,
]

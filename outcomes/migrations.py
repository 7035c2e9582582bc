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

# The figures' version by the date each write touches, so that the feed's cached figures of a past
# year stand while today's reviews are written (data_version moves with every write). A write can
# change only the figures of periods ending on or after the earliest date it touches: a review its
# date (an update the earlier of its old and new dates), its readings, targets and target outcomes
# their review's date, a family view the UTC day it was given (never later than its UK day). Every
# other table the figures read has no such date and moves one undated counter.
M009_FIGURES_VERSION_BY_DAY = """
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
M010_CHILDREN_BY_NAME = """
CREATE INDEX IF NOT EXISTS children_by_name ON children (family_name, given_name);
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
    M009_FIGURES_VERSION_BY_DAY,
    M010_CHILDREN_BY_NAME,
]

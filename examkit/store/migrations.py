"""The gradebook's schema as shipped migrations: append a new script, never edit a shipped one."""

from __future__ import annotations

_SCHEMA_1 = """
CREATE TABLE batches (
    batch         TEXT PRIMARY KEY,
    level         TEXT NOT NULL,
    rubric_sha256 TEXT NOT NULL,
    rubric_file   TEXT NOT NULL,
    rubric_status TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE TABLE rubric_items (
    batch       TEXT NOT NULL REFERENCES batches(batch),
    item_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    section     TEXT NOT NULL,
    section_zh  TEXT NOT NULL,
    section_en  TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    max         REAL NOT NULL CHECK (max > 0),
    step        REAL NOT NULL CHECK (step > 0),
    auto_scored INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch, item_id)
);
CREATE TABLE candidates (
    batch          TEXT NOT NULL REFERENCES batches(batch),
    candidate_no   TEXT NOT NULL,
    name           TEXT,
    id_number      TEXT,
    candidate_type TEXT,
    school_code    TEXT,
    school_name    TEXT,
    province       TEXT,
    site_code      TEXT,
    level          TEXT,
    registered_at  TEXT NOT NULL,
    PRIMARY KEY (batch, candidate_no)
);
CREATE TABLE marks (
    batch         TEXT NOT NULL,
    candidate_no  TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    marking_round INTEGER NOT NULL DEFAULT 1 CHECK (marking_round >= 1),
    value         REAL CHECK (value IS NULL OR value >= 0),
    version       INTEGER NOT NULL CHECK (version >= 1),
    grader        TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    reason        TEXT,
    source        TEXT NOT NULL,
    PRIMARY KEY (batch, candidate_no, item_id, marking_round),
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no),
    FOREIGN KEY (batch, item_id) REFERENCES rubric_items(batch, item_id)
);
CREATE TABLE flags (
    batch        TEXT NOT NULL,
    candidate_no TEXT NOT NULL,
    flag         TEXT CHECK (flag IS NULL OR flag IN ('absent', 'void')),
    version      INTEGER NOT NULL CHECK (version >= 1),
    grader       TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    reason       TEXT,
    source       TEXT NOT NULL,
    PRIMARY KEY (batch, candidate_no),
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no)
);
CREATE TABLE final_scores (
    batch        TEXT NOT NULL,
    candidate_no TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('graded', 'absent', 'void', 'ungraded')),
    total        REAL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (batch, candidate_no),
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no)
);
CREATE TABLE audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    batch         TEXT NOT NULL,
    candidate_no  TEXT,
    item_id       TEXT,
    marking_round INTEGER,
    old           TEXT,
    new           TEXT,
    version       INTEGER,
    reason        TEXT,
    source        TEXT
);
CREATE INDEX audit_by_candidate ON audit(batch, candidate_no);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'examkit: the audit log is append-only (UPDATE refused)'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'examkit: the audit log is append-only (DELETE refused)'); END;
CREATE TRIGGER marks_no_delete BEFORE DELETE ON marks
BEGIN SELECT RAISE(ABORT, 'examkit: marks are never deleted; clear them (value NULL) instead'); END;
CREATE TRIGGER flags_no_delete BEFORE DELETE ON flags
BEGIN SELECT RAISE(ABORT, 'examkit: flags are never deleted; clear them (flag NULL) instead'); END;

CREATE TRIGGER marks_within_max_insert BEFORE INSERT ON marks
WHEN NEW.value > (SELECT max FROM rubric_items WHERE batch = NEW.batch AND item_id = NEW.item_id) + 1e-9
BEGIN SELECT RAISE(ABORT, 'examkit: mark above the item maximum'); END;
CREATE TRIGGER marks_within_max_update BEFORE UPDATE ON marks
WHEN NEW.value > (SELECT max FROM rubric_items WHERE batch = NEW.batch AND item_id = NEW.item_id) + 1e-9
BEGIN SELECT RAISE(ABORT, 'examkit: mark above the item maximum'); END;
CREATE TRIGGER marks_version_step BEFORE UPDATE ON marks
WHEN NEW.version IS NOT OLD.version + 1
BEGIN SELECT RAISE(ABORT, 'examkit: a mark update must raise its version by one'); END;
CREATE TRIGGER flags_version_step BEFORE UPDATE ON flags
WHEN NEW.version IS NOT OLD.version + 1
BEGIN SELECT RAISE(ABORT, 'examkit: a flag update must raise its version by one'); END;

CREATE TRIGGER marks_audit_insert AFTER INSERT ON marks
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, item_id, marking_round, old, new, version, reason, source)
    VALUES (NEW.updated_at, NEW.grader, 'mark', NEW.batch, NEW.candidate_no, NEW.item_id, NEW.marking_round,
            NULL, NEW.value, NEW.version, NEW.reason, NEW.source);
END;
CREATE TRIGGER marks_audit_update AFTER UPDATE ON marks
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, item_id, marking_round, old, new, version, reason, source)
    VALUES (NEW.updated_at, NEW.grader, 'mark', NEW.batch, NEW.candidate_no, NEW.item_id, NEW.marking_round,
            OLD.value, NEW.value, NEW.version, NEW.reason, NEW.source);
END;
CREATE TRIGGER flags_audit_insert AFTER INSERT ON flags
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, old, new, version, reason, source)
    VALUES (NEW.updated_at, NEW.grader, 'flag', NEW.batch, NEW.candidate_no,
            NULL, NEW.flag, NEW.version, NEW.reason, NEW.source);
END;
CREATE TRIGGER flags_audit_update AFTER UPDATE ON flags
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, old, new, version, reason, source)
    VALUES (NEW.updated_at, NEW.grader, 'flag', NEW.batch, NEW.candidate_no,
            OLD.flag, NEW.flag, NEW.version, NEW.reason, NEW.source);
END;
CREATE TRIGGER batches_audit_insert AFTER INSERT ON batches
BEGIN
    INSERT INTO audit (at, actor, kind, batch, old, new, source)
    VALUES (NEW.updated_at, NEW.updated_by, 'rubric', NEW.batch, NULL, NEW.rubric_sha256, NEW.rubric_file);
END;
CREATE TRIGGER batches_audit_update AFTER UPDATE OF rubric_sha256 ON batches
WHEN NEW.rubric_sha256 IS NOT OLD.rubric_sha256
BEGIN
    INSERT INTO audit (at, actor, kind, batch, old, new, source)
    VALUES (NEW.updated_at, NEW.updated_by, 'rubric', NEW.batch, OLD.rubric_sha256, NEW.rubric_sha256, NEW.rubric_file);
END;
"""


# Publicity, review requests and the certificate register (R11, R12). A published batch's marks,
# flags and final scores change only through an open review request (source 'review').
_SCHEMA_2_PUBLICITY = """
CREATE TABLE publications (
    batch          TEXT PRIMARY KEY REFERENCES batches(batch),
    published_on   TEXT NOT NULL,
    publicity_days INTEGER NOT NULL CHECK (publicity_days >= 1),
    published_by   TEXT NOT NULL,
    published_at   TEXT NOT NULL
);
CREATE TABLE review_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    batch        TEXT NOT NULL REFERENCES publications(batch),
    candidate_no TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_on TEXT NOT NULL,
    reason       TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    old_status   TEXT NOT NULL,
    old_total    REAL,
    outcome      TEXT CHECK (outcome IS NULL OR outcome IN ('unchanged', 'changed')),
    new_status   TEXT,
    new_total    REAL,
    decided_by   TEXT,
    decided_at   TEXT,
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no)
);
CREATE UNIQUE INDEX review_one_open ON review_requests(batch, candidate_no) WHERE outcome IS NULL;
CREATE TABLE certificates (
    certificate_no TEXT PRIMARY KEY,
    scope          TEXT NOT NULL,
    serial         INTEGER NOT NULL CHECK (serial >= 1),
    batch          TEXT NOT NULL REFERENCES publications(batch),
    candidate_no   TEXT NOT NULL,
    id_number      TEXT NOT NULL,
    level          TEXT NOT NULL,
    total          REAL NOT NULL,
    issued_on      TEXT NOT NULL,
    issued_by      TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    UNIQUE (scope, serial),
    UNIQUE (id_number, level),
    UNIQUE (batch, candidate_no),
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no)
);
CREATE TABLE certificate_runs (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    batch     TEXT NOT NULL REFERENCES publications(batch),
    issued_on TEXT NOT NULL,
    issued    INTEGER NOT NULL,
    held      INTEGER NOT NULL,
    run_by    TEXT NOT NULL,
    run_at    TEXT NOT NULL
);

CREATE TRIGGER publications_final_update BEFORE UPDATE ON publications
BEGIN SELECT RAISE(ABORT, 'examkit: a publication is final (UPDATE refused)'); END;
CREATE TRIGGER publications_final_delete BEFORE DELETE ON publications
BEGIN SELECT RAISE(ABORT, 'examkit: a publication is final (DELETE refused)'); END;
CREATE TRIGGER review_no_delete BEFORE DELETE ON review_requests
BEGIN SELECT RAISE(ABORT, 'examkit: review requests are never deleted'); END;
CREATE TRIGGER review_decided_final BEFORE UPDATE ON review_requests WHEN OLD.outcome IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'examkit: a decided review is final'); END;
CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates
BEGIN SELECT RAISE(ABORT, 'examkit: the certificate register is append-only (UPDATE refused)'); END;
CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates
BEGIN SELECT RAISE(ABORT, 'examkit: the certificate register is append-only (DELETE refused)'); END;
CREATE TRIGGER certificate_runs_no_change BEFORE UPDATE ON certificate_runs
BEGIN SELECT RAISE(ABORT, 'examkit: certificate runs are append-only'); END;
CREATE TRIGGER certificate_runs_no_delete BEFORE DELETE ON certificate_runs
BEGIN SELECT RAISE(ABORT, 'examkit: certificate runs are append-only'); END;

-- a published batch's marks and flags change only through an open review request (source 'review')
CREATE TRIGGER marks_frozen_insert BEFORE INSERT ON marks
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch) AND NOT (NEW.source = 'review' AND EXISTS
    (SELECT 1 FROM review_requests WHERE batch = NEW.batch AND candidate_no = NEW.candidate_no AND outcome IS NULL))
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; marks change only through a review request'); END;
CREATE TRIGGER marks_frozen_update BEFORE UPDATE ON marks
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch) AND NOT (NEW.source = 'review' AND EXISTS
    (SELECT 1 FROM review_requests WHERE batch = NEW.batch AND candidate_no = NEW.candidate_no AND outcome IS NULL))
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; marks change only through a review request'); END;
CREATE TRIGGER flags_frozen_insert BEFORE INSERT ON flags
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch)
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; flags are frozen'); END;
CREATE TRIGGER flags_frozen_update BEFORE UPDATE ON flags
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch)
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; flags are frozen'); END;

CREATE TRIGGER publications_audit AFTER INSERT ON publications
BEGIN
    INSERT INTO audit (at, actor, kind, batch, new, source)
    VALUES (NEW.published_at, NEW.published_by, 'publish', NEW.batch,
            NEW.published_on || ' +' || NEW.publicity_days || 'd', 'publish');
END;
CREATE TRIGGER review_audit_request AFTER INSERT ON review_requests
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, old, new, reason, source)
    VALUES (NEW.recorded_at, NEW.recorded_by, 'review_request', NEW.batch, NEW.candidate_no,
            NULL, NEW.requested_by || ' @ ' || NEW.requested_on, NEW.reason, 'review #' || NEW.id);
END;
CREATE TRIGGER review_audit_decide AFTER UPDATE OF outcome ON review_requests WHEN NEW.outcome IS NOT NULL
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, old, new, reason, source)
    VALUES (NEW.decided_at, NEW.decided_by, 'review_outcome', NEW.batch, NEW.candidate_no,
            coalesce(NEW.old_total, NEW.old_status), coalesce(NEW.new_total, NEW.new_status), NEW.outcome,
            'review #' || NEW.id);
END;
CREATE TRIGGER certificates_audit AFTER INSERT ON certificates
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, new, source)
    VALUES (NEW.issued_at, NEW.issued_by, 'certificate', NEW.batch, NEW.candidate_no, NEW.certificate_no, 'certificates');
END;
CREATE TRIGGER final_scores_frozen BEFORE UPDATE ON final_scores
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch) AND NOT EXISTS
    (SELECT 1 FROM review_requests WHERE batch = NEW.batch AND candidate_no = NEW.candidate_no AND outcome IS NULL)
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; final scores change only through a review request'); END;
"""


# Double marking (examkit.analysis.agreement): a batch switched on here has its candidates marked in rounds
# 1 and 2 by two graders, round 3 by an arbiter; final scores follow the recorded tolerance and rule.
_SCHEMA_3_DOUBLE_MARKING = """
CREATE TABLE double_marking (
    batch      TEXT PRIMARY KEY REFERENCES batches(batch),
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    tolerance  REAL NOT NULL CHECK (tolerance >= 0),
    final_rule TEXT NOT NULL CHECK (final_rule IN ('mean', 'arbiter')),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TRIGGER double_marking_no_delete BEFORE DELETE ON double_marking
BEGIN SELECT RAISE(ABORT, 'examkit: double marking is never deleted; switch it off instead'); END;
CREATE TRIGGER double_marking_audit_insert AFTER INSERT ON double_marking
BEGIN
    INSERT INTO audit (at, actor, kind, batch, old, new)
    VALUES (NEW.updated_at, NEW.updated_by, 'double_marking', NEW.batch, NULL,
            CASE NEW.enabled WHEN 1 THEN 'on' ELSE 'off' END || ' tolerance=' || NEW.tolerance || ' rule=' || NEW.final_rule);
END;
CREATE TRIGGER double_marking_audit_update AFTER UPDATE ON double_marking
BEGIN
    INSERT INTO audit (at, actor, kind, batch, old, new)
    VALUES (NEW.updated_at, NEW.updated_by, 'double_marking', NEW.batch,
            CASE OLD.enabled WHEN 1 THEN 'on' ELSE 'off' END || ' tolerance=' || OLD.tolerance || ' rule=' || OLD.final_rule,
            CASE NEW.enabled WHEN 1 THEN 'on' ELSE 'off' END || ' tolerance=' || NEW.tolerance || ' rule=' || NEW.final_rule);
END;
"""


# Append-only: entry N brings a gradebook from user_version N to N+1. Never edit a shipped entry.
MIGRATIONS: list[str] = [_SCHEMA_1, _SCHEMA_2_PUBLICITY, _SCHEMA_3_DOUBLE_MARKING]

-- Platform security log retention (DESIGN §9; seed 003: "90 days for security logs").
--
-- `security_log.purge_after` is the earliest moment a row may be removed: the deletion time of
-- the account it concerns (`users.deleted_at` of `subject_user_id`) plus 90 days. It is NULL —
-- keep — while that account exists and for rows that concern no account. Writers never set it:
-- the triggers below derive it, so it stays true when an account is deleted (or restored) after
-- its events were written. The scheduled purge (src/services/security-log/retention.ts) removes
-- rows whose purge_after has passed AND whose subject's deleted_at is still 90 days old or more.

-- Rows written before this migration carried `ts + 90 days`; recompute them under the rule above.
UPDATE security_log SET purge_after = (
  SELECT users.deleted_at + 7776000000 FROM users
  WHERE users.id = security_log.subject_user_id AND users.deleted_at IS NOT NULL
);

CREATE TRIGGER security_log_purge_after_on_insert AFTER INSERT ON security_log
BEGIN
  UPDATE security_log SET purge_after = (
    SELECT users.deleted_at + 7776000000 FROM users
    WHERE users.id = NEW.subject_user_id AND users.deleted_at IS NOT NULL
  ) WHERE id = NEW.id;
END;

CREATE TRIGGER security_log_purge_after_on_user_deletion AFTER UPDATE OF deleted_at ON users
BEGIN
  -- NULL + n is NULL: restoring an account (deleted_at back to NULL) keeps its events again.
  UPDATE security_log SET purge_after = NEW.deleted_at + 7776000000 WHERE subject_user_id = NEW.id;
END;

CREATE INDEX security_log_purge_after ON security_log(purge_after) WHERE purge_after IS NOT NULL;

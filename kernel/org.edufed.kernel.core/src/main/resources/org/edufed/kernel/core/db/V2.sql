-- the audit trail: append-only, each entry chained to the one before by its SM3 hash; the head row serialises
-- appends (its lock is held until the appending transaction commits) and keeps the anchor left by retention
CREATE TABLE edufed_audit (
  id BIGINT NOT NULL PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  node VARCHAR(40) NOT NULL,
  actor VARCHAR(100) NOT NULL,
  address VARCHAR(64),
  action VARCHAR(64) NOT NULL,
  target VARCHAR(200),
  result VARCHAR(16) NOT NULL,
  detail VARCHAR(1000),
  hash VARCHAR(64) NOT NULL
);
CREATE INDEX edufed_audit_action ON edufed_audit (action, id);
CREATE INDEX edufed_audit_at ON edufed_audit (at_ms);
CREATE TABLE edufed_audit_head (
  id INT NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL,
  last_hash VARCHAR(64) NOT NULL,
  anchor_id BIGINT NOT NULL,
  anchor_hash VARCHAR(64) NOT NULL
);
INSERT INTO edufed_audit_head (id, seq, last_hash, anchor_id, anchor_hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0,
  '0000000000000000000000000000000000000000000000000000000000000000');
-- a security officer reads and verifies the trail
INSERT INTO edufed_role (name, description) VALUES ('auditor', 'Security auditor: reads and verifies the audit trail');
INSERT INTO edufed_role_permission (role_name, permission) VALUES ('auditor', 'audit:read');
INSERT INTO edufed_role_permission (role_name, permission) VALUES ('auditor', 'node:read');

-- upward: records created here (or received from below) wait in the outbox, written in the same
-- transaction as the business change; the parent de-duplicates by (child, outbox id) in its inbox
CREATE TABLE edufed_fed_outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic VARCHAR(64) NOT NULL,
  global_id VARCHAR(300) NOT NULL,
  origin VARCHAR(20) NOT NULL,
  version BIGINT NOT NULL,
  deleted BOOLEAN NOT NULL,
  payload VARCHAR(32000) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  attempts INT DEFAULT 0 NOT NULL
);
CREATE TABLE edufed_fed_inbox (
  child_code VARCHAR(20) NOT NULL,
  outbox_id BIGINT NOT NULL,
  received_at TIMESTAMP NOT NULL,
  PRIMARY KEY (child_code, outbox_id)
);
-- records of upward topics this node holds: its own and its subtree's, newest version per global id
CREATE TABLE edufed_fed_record (
  topic VARCHAR(64) NOT NULL,
  global_id VARCHAR(300) NOT NULL,
  origin VARCHAR(20) NOT NULL,
  version BIGINT NOT NULL,
  deleted BOOLEAN NOT NULL,
  payload VARCHAR(32000) NOT NULL,
  received_at TIMESTAMP NOT NULL,
  PRIMARY KEY (topic, global_id)
);
-- what the parent refused for good, kept for an operator to look at and retry
CREATE TABLE edufed_fed_dead (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic VARCHAR(64) NOT NULL,
  global_id VARCHAR(300) NOT NULL,
  origin VARCHAR(20) NOT NULL,
  version BIGINT NOT NULL,
  deleted BOOLEAN NOT NULL,
  payload VARCHAR(32000) NOT NULL,
  reason VARCHAR(500) NOT NULL,
  failed_at TIMESTAMP NOT NULL
);

-- Archives this node tried and refused or could not start: not tried again (a new version or a new
-- certification is a new digest), and kept when the plugin's row moves on (e.g. to the revocation of the
-- version that ran before).
CREATE TABLE edufed_plugin_attempt (
  digest VARCHAR(64) NOT NULL PRIMARY KEY,
  plugin_id VARCHAR(100) NOT NULL,
  version VARCHAR(64) NOT NULL,
  state VARCHAR(16) NOT NULL,
  reason_key VARCHAR(64),
  attempted_at TIMESTAMP NOT NULL
);

-- The plugins this node runs or tried to run: one row a plugin. digest/version/state: the newest catalogue
-- entry tried here and how that went; running_*: what is installed and running now (kept through a failed
-- upgrade, which rolls back to it); descriptor and bundle locations let the kernel enforce what it declared
-- from the first moment of a restart.
CREATE TABLE edufed_plugin (
  plugin_id VARCHAR(100) NOT NULL PRIMARY KEY,
  version VARCHAR(64) NOT NULL,
  digest VARCHAR(64) NOT NULL,
  state VARCHAR(16) NOT NULL,
  reason_key VARCHAR(64),
  reason_args VARCHAR(2000),
  running_version VARCHAR(64),
  running_digest VARCHAR(64),
  feature_name VARCHAR(200),
  feature_version VARCHAR(64),
  features_uri VARCHAR(1000),
  bundles VARCHAR(8000),
  descriptor VARCHAR(16000),
  status_version BIGINT NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

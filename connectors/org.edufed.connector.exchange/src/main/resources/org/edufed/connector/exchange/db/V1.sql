-- enrollment: one-time tokens (hash only), the children of this node, its parent
CREATE TABLE edufed_fed_token (
  token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  used_at TIMESTAMP,
  used_by VARCHAR(20)
);
CREATE TABLE edufed_fed_child (
  code VARCHAR(20) NOT NULL PRIMARY KEY,
  level VARCHAR(16) NOT NULL,
  name VARCHAR(200) NOT NULL,
  url VARCHAR(500),
  public_key VARCHAR(2000) NOT NULL,
  algorithm VARCHAR(32) NOT NULL,
  status VARCHAR(16) NOT NULL,
  enrolled_at TIMESTAMP NOT NULL,
  last_seen TIMESTAMP,
  version VARCHAR(40)
);
CREATE TABLE edufed_fed_parent (
  code VARCHAR(20) NOT NULL PRIMARY KEY,
  level VARCHAR(16) NOT NULL,
  name VARCHAR(200) NOT NULL,
  url VARCHAR(500) NOT NULL,
  public_key VARCHAR(2000) NOT NULL,
  algorithm VARCHAR(32) NOT NULL,
  enrolled_at TIMESTAMP NOT NULL
);
-- nonces of accepted signed messages (replay protection) and every rejected message
CREATE TABLE edufed_fed_nonce (
  node_code VARCHAR(20) NOT NULL,
  nonce VARCHAR(64) NOT NULL,
  seen_at TIMESTAMP NOT NULL,
  PRIMARY KEY (node_code, nonce)
);
CREATE TABLE edufed_fed_rejected (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rejected_at TIMESTAMP NOT NULL,
  node_code VARCHAR(20),
  path VARCHAR(200) NOT NULL,
  reason VARCHAR(200) NOT NULL
);
-- the ordered change feed this node serves to its children; seq comes from edufed_fed_seq so that
-- sequence order is commit order (appenders serialise on its row)
CREATE TABLE edufed_fed_seq (
  name VARCHAR(32) NOT NULL PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO edufed_fed_seq (name, value) VALUES ('feed', 0);
CREATE TABLE edufed_fed_feed (
  seq BIGINT NOT NULL PRIMARY KEY,
  topic VARCHAR(64) NOT NULL,
  item_key VARCHAR(200) NOT NULL,
  payload VARCHAR(32000) NOT NULL,
  created_at TIMESTAMP NOT NULL
);
-- how far this node has applied its parent's feed, per topic, and how the last pull went
CREATE TABLE edufed_fed_watermark (
  topic VARCHAR(64) NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL,
  last_success TIMESTAMP,
  last_error VARCHAR(500),
  last_error_at TIMESTAMP
);
-- inheritable settings: this node's own values, and what it inherited from above
CREATE TABLE edufed_setting (
  setting_key VARCHAR(200) NOT NULL PRIMARY KEY,
  setting_value VARCHAR(4000) NOT NULL,
  mode VARCHAR(16) NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE TABLE edufed_setting_inherited (
  setting_key VARCHAR(200) NOT NULL PRIMARY KEY,
  setting_value VARCHAR(4000) NOT NULL,
  mode VARCHAR(16) NOT NULL,
  set_level VARCHAR(16) NOT NULL,
  set_code VARCHAR(20) NOT NULL,
  set_name VARCHAR(200) NOT NULL,
  over_level VARCHAR(16),
  over_code VARCHAR(20),
  over_name VARCHAR(200),
  version BIGINT NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

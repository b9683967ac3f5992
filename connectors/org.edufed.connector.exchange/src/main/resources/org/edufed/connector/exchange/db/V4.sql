-- inheritable items of every downward topic (settings, dictionaries, plugin items) replace the settings-only
-- tables: this node's own values, and what it inherited from its parent's feed
CREATE TABLE edufed_item (
  topic VARCHAR(64) NOT NULL,
  item_key VARCHAR(200) NOT NULL,
  item_value VARCHAR(32000) NOT NULL,
  mode VARCHAR(16) NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (topic, item_key)
);
CREATE TABLE edufed_item_inherited (
  topic VARCHAR(64) NOT NULL,
  item_key VARCHAR(200) NOT NULL,
  item_value VARCHAR(32000) NOT NULL,
  mode VARCHAR(16) NOT NULL,
  set_level VARCHAR(16) NOT NULL,
  set_code VARCHAR(20) NOT NULL,
  set_name VARCHAR(200) NOT NULL,
  over_level VARCHAR(16),
  over_code VARCHAR(20),
  over_name VARCHAR(200),
  version BIGINT NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (topic, item_key)
);
INSERT INTO edufed_item (topic, item_key, item_value, mode, updated_at)
  SELECT 'settings', setting_key, setting_value, mode, updated_at FROM edufed_setting;
INSERT INTO edufed_item_inherited (topic, item_key, item_value, mode, set_level, set_code, set_name, over_level,
    over_code, over_name, version, updated_at)
  SELECT 'settings', setting_key, setting_value, mode, set_level, set_code, set_name, over_level, over_code,
    over_name, version, updated_at FROM edufed_setting_inherited;
DROP TABLE edufed_setting;
DROP TABLE edufed_setting_inherited;
-- feed compaction finds superseded entries of an item by (topic, key)
CREATE INDEX edufed_fed_feed_item ON edufed_fed_feed (topic, item_key, seq);
-- the outbox is read per topic for the sync status
CREATE INDEX edufed_fed_outbox_topic ON edufed_fed_outbox (topic);
-- the parent's feed head as last seen by this node (for the lag), next to its watermark
ALTER TABLE edufed_fed_watermark ADD COLUMN parent_head BIGINT;
ALTER TABLE edufed_fed_watermark ADD COLUMN applied BIGINT DEFAULT 0 NOT NULL;

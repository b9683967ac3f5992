-- the outbox holds what waits to go up, usually little: counting it per topic for the sync status scans it, which
-- costs less than keeping an index up to date on every insert and delete of a bulk call
DROP INDEX edufed_fed_outbox_topic;

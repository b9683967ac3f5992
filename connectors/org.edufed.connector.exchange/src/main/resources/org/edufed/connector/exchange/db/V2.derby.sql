-- the subtree a child reports in its heartbeat (JSON, may be large)
ALTER TABLE edufed_fed_child ADD COLUMN subtree CLOB;

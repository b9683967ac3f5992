-- key rotation: a child's previous key stays valid until it first signs with the new one; this node's own
-- rotation statements (each signed by the old key and the new) are shown to its children so they can follow
ALTER TABLE edufed_fed_child ADD COLUMN previous_key VARCHAR(2000);
CREATE TABLE edufed_fed_key_rotation (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rotated_at TIMESTAMP NOT NULL,
  envelope VARCHAR(8000) NOT NULL
);

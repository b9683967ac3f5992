-- notes written at this node (they also travel up as records of topic ${domain}.notes)
CREATE TABLE ${domain}_note (
  note_id VARCHAR(36) NOT NULL PRIMARY KEY,
  note_text VARCHAR(800) NOT NULL,
  created_at TIMESTAMP NOT NULL
);

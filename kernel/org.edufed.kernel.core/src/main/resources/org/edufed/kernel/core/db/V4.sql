-- earlier password hashes of each account, so that the policy can refuse their reuse
CREATE TABLE edufed_password_history (
  username VARCHAR(64) NOT NULL REFERENCES edufed_account (username),
  changed_at TIMESTAMP NOT NULL,
  password_hash VARCHAR(512) NOT NULL
);
CREATE INDEX edufed_password_history_user ON edufed_password_history (username, changed_at);

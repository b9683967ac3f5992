-- two layers of roles and grants for a federated (single sign-on) account: those its identity provider released at
-- the last sign-on, replaced at each one (these tables), and those given at this node (edufed_account_role,
-- edufed_grant), which stay; what applies is both
CREATE TABLE edufed_account_role_idp (
  username VARCHAR(64) NOT NULL REFERENCES edufed_account (username),
  role_name VARCHAR(64) NOT NULL REFERENCES edufed_role (name),
  PRIMARY KEY (username, role_name)
);
CREATE TABLE edufed_grant_idp (
  username VARCHAR(64) NOT NULL REFERENCES edufed_account (username),
  role_name VARCHAR(64) NOT NULL REFERENCES edufed_role (name),
  unit_code VARCHAR(80) NOT NULL,
  subtree BOOLEAN NOT NULL,
  PRIMARY KEY (username, role_name, unit_code)
);
CREATE INDEX edufed_grant_idp_unit ON edufed_grant_idp (unit_code);
-- until now a federated account (name@qualifier) held only what its last sign-on released
INSERT INTO edufed_account_role_idp (username, role_name)
  SELECT username, role_name FROM edufed_account_role WHERE username LIKE '%@%';
DELETE FROM edufed_account_role WHERE username LIKE '%@%';
INSERT INTO edufed_grant_idp (username, role_name, unit_code, subtree)
  SELECT username, role_name, unit_code, subtree FROM edufed_grant WHERE username LIKE '%@%';
DELETE FROM edufed_grant WHERE username LIKE '%@%';

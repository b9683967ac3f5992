-- the organisation tree inside this node (departments, grades, classes); the nodes themselves come from the
-- node identity and the federation
CREATE TABLE edufed_org_unit (
  code VARCHAR(80) NOT NULL PRIMARY KEY,
  parent_code VARCHAR(80) NOT NULL,
  name VARCHAR(200) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX edufed_org_unit_parent ON edufed_org_unit (parent_code);
-- roles given to a user over an organisation unit (and, with subtree, everything below it)
CREATE TABLE edufed_grant (
  username VARCHAR(64) NOT NULL REFERENCES edufed_account (username),
  role_name VARCHAR(64) NOT NULL REFERENCES edufed_role (name),
  unit_code VARCHAR(80) NOT NULL,
  subtree BOOLEAN NOT NULL,
  PRIMARY KEY (username, role_name, unit_code)
);
CREATE INDEX edufed_grant_unit ON edufed_grant (unit_code);
-- who may manage the organisation units of this node
INSERT INTO edufed_role (name, description) VALUES ('org-admin', 'Organisation administrator: units of this node and grants');
INSERT INTO edufed_role_permission (role_name, permission) VALUES ('org-admin', 'org:admin');
INSERT INTO edufed_role_permission (role_name, permission) VALUES ('org-admin', 'node:read');

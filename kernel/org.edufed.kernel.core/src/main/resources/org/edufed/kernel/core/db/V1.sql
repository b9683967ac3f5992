-- local accounts, roles and their permissions (Shiro wildcard permission strings)
CREATE TABLE edufed_account (
  username VARCHAR(64) NOT NULL PRIMARY KEY,
  display_name VARCHAR(200) NOT NULL,
  password_hash VARCHAR(512) NOT NULL,
  must_change BOOLEAN NOT NULL,
  locked BOOLEAN NOT NULL,
  failed_logins INT NOT NULL,
  last_failure TIMESTAMP,
  created_at TIMESTAMP NOT NULL,
  last_login TIMESTAMP,
  password_changed_at TIMESTAMP NOT NULL
);
CREATE TABLE edufed_role (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  description VARCHAR(200) NOT NULL
);
CREATE TABLE edufed_role_permission (
  role_name VARCHAR(64) NOT NULL REFERENCES edufed_role (name),
  permission VARCHAR(200) NOT NULL,
  PRIMARY KEY (role_name, permission)
);
CREATE TABLE edufed_account_role (
  username VARCHAR(64) NOT NULL REFERENCES edufed_account (username),
  role_name VARCHAR(64) NOT NULL REFERENCES edufed_role (name),
  PRIMARY KEY (username, role_name)
);
INSERT INTO edufed_role (name, description) VALUES ('admin', 'Node administrator');
INSERT INTO edufed_role_permission (role_name, permission) VALUES ('admin', '*');
INSERT INTO edufed_role (name, description) VALUES ('viewer', 'Read-only view of this node');
INSERT INTO edufed_role_permission (role_name, permission) VALUES ('viewer', 'node:read');

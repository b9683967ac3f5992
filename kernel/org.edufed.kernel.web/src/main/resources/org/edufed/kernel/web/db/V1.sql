-- service providers outside the tree (a portal, a library system) registered at this node's identity provider by
-- an administrator, with their SAML metadata; the SPs of the tree's nodes arrive as reported records instead
CREATE TABLE edufed_saml_sp (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  entity_id VARCHAR(1024) NOT NULL,
  metadata VARCHAR(32000) NOT NULL,
  registered_by VARCHAR(64) NOT NULL,
  registered_at TIMESTAMP NOT NULL
);

-- registrations made at this node (a school, or a county that registers its own candidates); personal data
-- encrypted with the node's field key (SM4-GCM), looked up through a keyed blind index (HMAC-SM3)
CREATE TABLE exam_registration (
  reg_id VARCHAR(36) NOT NULL PRIMARY KEY,
  exam_year VARCHAR(4) NOT NULL,
  version BIGINT NOT NULL,
  student_name VARCHAR(60) NOT NULL,
  gender VARCHAR(1) NOT NULL,
  birth_date DATE NOT NULL,
  id_cipher VARCHAR(200) NOT NULL,
  id_index VARCHAR(100) NOT NULL,
  phone_cipher VARCHAR(200) NOT NULL,
  preferences VARCHAR(2000) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  created_by VARCHAR(200) NOT NULL
);
-- one registration per person and exam year at a node
CREATE UNIQUE INDEX exam_registration_person ON exam_registration (exam_year, id_index);
-- registrations received from below (county, province), with the reviews of each level for the version they saw
CREATE TABLE exam_received (
  global_id VARCHAR(100) NOT NULL PRIMARY KEY,
  origin VARCHAR(20) NOT NULL,
  exam_year VARCHAR(4) NOT NULL,
  version BIGINT NOT NULL,
  student_name VARCHAR(60) NOT NULL,
  gender VARCHAR(1) NOT NULL,
  birth_date DATE NOT NULL,
  id_cipher VARCHAR(200) NOT NULL,
  id_index VARCHAR(100) NOT NULL,
  phone_cipher VARCHAR(200),
  preferences VARCHAR(2000) NOT NULL,
  received_at TIMESTAMP NOT NULL,
  withdrawn BOOLEAN DEFAULT FALSE NOT NULL,
  county_version BIGINT,
  county_decision VARCHAR(10),
  county_reason VARCHAR(500),
  county_by VARCHAR(200),
  province_version BIGINT,
  province_decision VARCHAR(10),
  province_reason VARCHAR(500),
  province_by VARCHAR(200)
);
CREATE INDEX exam_received_origin ON exam_received (exam_year, origin);
CREATE INDEX exam_received_person ON exam_received (exam_year, id_index);

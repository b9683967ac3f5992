-- extra fields a county (or the province) asks for, as {"<code>": "<value>"}
ALTER TABLE exam_registration ADD COLUMN extra_fields VARCHAR(2000);
ALTER TABLE exam_received ADD COLUMN extra_fields VARCHAR(2000);
-- CSV imports run as jobs: the file (encrypted with the node's field key until the job ends) and its progress;
-- an accepted row and the progress that counts it commit together, so a restart resumes without loss or double
CREATE TABLE exam_import (
  job_id VARCHAR(36) NOT NULL PRIMARY KEY,
  exam_year VARCHAR(4) NOT NULL,
  state VARCHAR(10) NOT NULL,
  total INT NOT NULL,
  done INT NOT NULL,
  accepted INT NOT NULL,
  refused INT NOT NULL,
  file_cipher TEXT,
  created_by VARCHAR(200) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
-- the problems of each refused row of an import
CREATE TABLE exam_import_problem (
  job_id VARCHAR(36) NOT NULL,
  line_no BIGINT NOT NULL,
  problems VARCHAR(2000) NOT NULL,
  PRIMARY KEY (job_id, line_no)
);
-- admission outcomes reported up by the counties (per high school and batch), kept where they arrive
CREATE TABLE exam_admission_summary (
  global_id VARCHAR(100) NOT NULL PRIMARY KEY,
  origin VARCHAR(20) NOT NULL,
  exam_year VARCHAR(4) NOT NULL,
  summary VARCHAR(8000) NOT NULL,
  received_at TIMESTAMP NOT NULL
);

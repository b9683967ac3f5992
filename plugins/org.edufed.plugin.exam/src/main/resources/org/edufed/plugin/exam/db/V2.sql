-- exam scores, imported at the county (or the province) and matched to registrations through the blind index
CREATE TABLE exam_score (
  exam_year VARCHAR(4) NOT NULL,
  id_index VARCHAR(100) NOT NULL,
  score DECIMAL(7,2) NOT NULL,
  imported_at TIMESTAMP NOT NULL,
  PRIMARY KEY (exam_year, id_index)
);
-- the outcome of the last admission run of a year at this node
CREATE TABLE exam_admission (
  exam_year VARCHAR(4) NOT NULL,
  global_id VARCHAR(100) NOT NULL,
  batch_code VARCHAR(8) NOT NULL,
  high_school VARCHAR(20) NOT NULL,
  score DECIMAL(7,2) NOT NULL,
  rank_no INT NOT NULL,
  admitted_at TIMESTAMP NOT NULL,
  PRIMARY KEY (exam_year, global_id)
);

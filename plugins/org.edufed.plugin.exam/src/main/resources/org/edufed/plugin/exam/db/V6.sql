-- the registrations students made for themselves from their accounts, listed apart: the index on
-- exam_registration (student_account, exam_year) took an entry for every registration, a clerk's too (a NULL
-- account), on the busiest write path, for the few rows a student's own view looks up
CREATE TABLE exam_self_registration (
  student_account VARCHAR(200) NOT NULL,
  exam_year VARCHAR(4) NOT NULL,
  reg_id VARCHAR(36) NOT NULL,
  PRIMARY KEY (student_account, exam_year, reg_id)
);
INSERT INTO exam_self_registration (student_account, exam_year, reg_id)
  SELECT student_account, exam_year, reg_id FROM exam_registration WHERE student_account IS NOT NULL;
DROP INDEX exam_registration_account;

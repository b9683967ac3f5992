-- a registration a student made for themself is linked to the student's account at the school
ALTER TABLE exam_registration ADD COLUMN student_account VARCHAR(200);
CREATE INDEX exam_registration_account ON exam_registration (student_account, exam_year);

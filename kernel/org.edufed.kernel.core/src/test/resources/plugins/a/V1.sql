-- plugin a: its notes
CREATE TABLE pa_note (id INT NOT NULL PRIMARY KEY, body VARCHAR(200));
CREATE INDEX pa_note_body ON pa_note (body);

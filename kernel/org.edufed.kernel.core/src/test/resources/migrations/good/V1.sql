-- a table and a row
CREATE TABLE t_note (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  body VARCHAR(200) NOT NULL
);
INSERT INTO t_note (body) VALUES ('一; not the end');

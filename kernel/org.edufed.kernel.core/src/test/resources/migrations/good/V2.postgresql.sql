-- PostgreSQL spelling (Derby has no IF NOT EXISTS): proves dialect scripts are chosen
ALTER TABLE t_note ADD COLUMN IF NOT EXISTS done BOOLEAN DEFAULT FALSE NOT NULL;

-- A program's own clinical settings (instrument cut-offs, placement policy), as JSON text.
ALTER TABLE programs ADD COLUMN settings TEXT;

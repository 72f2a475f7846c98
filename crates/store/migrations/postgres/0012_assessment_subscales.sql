-- Instruments read by subscales instead of a total (the BAM): their scores as a JSON object
-- (subscale code -> sum). Such assessments store total 0 and band '' (no total, no band);
-- readers go by the presence of subscales.
ALTER TABLE assessments ADD COLUMN subscales TEXT;

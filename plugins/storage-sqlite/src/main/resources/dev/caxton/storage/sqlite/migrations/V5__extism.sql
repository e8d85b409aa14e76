-- How each Extism plugin runs (its function and config, encoded by the runtime); null for Caxton agents.
ALTER TABLE agents ADD COLUMN extism TEXT;

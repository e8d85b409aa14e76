-- Whether each agent runs with a sandboxed WASI preview 1 (deployed with wasi); earlier agents do not.
ALTER TABLE agents ADD COLUMN wasi INTEGER NOT NULL DEFAULT 0;

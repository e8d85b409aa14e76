-- Each agent's scheduling weight (deployed with cpu_share); agents stored before it existed have the usual 100.
ALTER TABLE agents ADD COLUMN cpu_share INTEGER NOT NULL DEFAULT 100;

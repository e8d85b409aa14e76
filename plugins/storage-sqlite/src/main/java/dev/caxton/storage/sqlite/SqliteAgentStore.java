package dev.caxton.storage.sqlite;

import static dev.caxton.storage.sqlite.SqliteStorage.bindInstant;
import static dev.caxton.storage.sqlite.SqliteStorage.instant;

import dev.caxton.spi.storage.AgentRecord;
import dev.caxton.spi.storage.AgentStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Agents in the {@code agents} table, their capabilities in {@code agent_capabilities}, their WASI
 * arguments and environment in {@code agent_wasi_settings}.
 */
final class SqliteAgentStore implements AgentStore {

    private static final String COLUMNS = "name, id, module, max_memory_bytes, execution_timeout_ms, fuel, codec, engine, "
            + "state, deployed_at_seconds, deployed_at_nanos, updated_at_seconds, updated_at_nanos, durable, wasi, extism, cpu_share";

    private static final String UPSERT = "INSERT INTO agents (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            + "ON CONFLICT (name) DO UPDATE SET id = excluded.id, module = excluded.module, "
            + "max_memory_bytes = excluded.max_memory_bytes, execution_timeout_ms = excluded.execution_timeout_ms, "
            + "fuel = excluded.fuel, codec = excluded.codec, engine = excluded.engine, state = excluded.state, "
            + "deployed_at_seconds = excluded.deployed_at_seconds, deployed_at_nanos = excluded.deployed_at_nanos, "
            + "updated_at_seconds = excluded.updated_at_seconds, updated_at_nanos = excluded.updated_at_nanos, "
            + "durable = excluded.durable, wasi = excluded.wasi, extism = excluded.extism, cpu_share = excluded.cpu_share";

    private final Database db;

    SqliteAgentStore(Database db) {
        this.db = db;
    }

    @Override
    public void put(AgentRecord agent) {
        Objects.requireNonNull(agent, "agent");
        db.writeTransaction("store agent " + agent.name(), c -> {
            PreparedStatement upsert = c.prepare(UPSERT);
            upsert.setString(1, agent.name());
            upsert.setString(2, agent.id());
            upsert.setBytes(3, agent.module());
            upsert.setLong(4, agent.maxMemoryBytes());
            upsert.setLong(5, agent.executionTimeoutMs());
            upsert.setLong(6, agent.fuel());
            upsert.setString(7, agent.codec());
            upsert.setString(8, agent.engine());
            upsert.setString(9, agent.state());
            bindInstant(upsert, 10, agent.deployedAt());
            bindInstant(upsert, 12, agent.updatedAt());
            upsert.setInt(14, agent.durable() ? 1 : 0);
            upsert.setInt(15, agent.wasi() ? 1 : 0);
            upsert.setString(16, agent.extism());
            upsert.setInt(17, agent.cpuShare());
            upsert.executeUpdate();

            PreparedStatement clear = c.prepare("DELETE FROM agent_capabilities WHERE agent_name = ?");
            clear.setString(1, agent.name());
            clear.executeUpdate();
            PreparedStatement add = c.prepare(
                    "INSERT INTO agent_capabilities (agent_name, position, capability) VALUES (?, ?, ?)");
            int position = 0;
            for (String capability : agent.capabilities()) {
                add.setString(1, agent.name());
                add.setInt(2, position++);
                add.setString(3, capability);
                add.executeUpdate();
            }
            putWasiSettings(c, agent);
            return null;
        });
    }

    @Override
    public Optional<AgentRecord> get(String name) {
        Objects.requireNonNull(name, "name");
        return db.readSnapshot("read agent " + name, c -> {
            PreparedStatement select = c.prepare("SELECT " + COLUMNS + " FROM agents WHERE name = ?");
            select.setString(1, name);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                PreparedStatement caps = c.prepare(
                        "SELECT capability FROM agent_capabilities WHERE agent_name = ? ORDER BY position");
                caps.setString(1, name);
                List<String> capabilities = new ArrayList<>();
                try (ResultSet crs = caps.executeQuery()) {
                    while (crs.next()) {
                        capabilities.add(crs.getString(1));
                    }
                }
                Map<String, WasiSettings> wasi = wasiSettings(c, name);
                return Optional.of(record(rs, capabilities, wasi.getOrDefault(name, WasiSettings.NONE)));
            }
        });
    }

    @Override
    public List<AgentRecord> list() {
        return db.readSnapshot("list agents", c -> {
            Map<String, List<String>> capabilities = new HashMap<>();
            try (ResultSet rs = c.prepare("SELECT agent_name, capability FROM agent_capabilities "
                    + "ORDER BY agent_name, position").executeQuery()) {
                while (rs.next()) {
                    capabilities.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
                }
            }
            Map<String, WasiSettings> wasi = wasiSettings(c, null);
            List<AgentRecord> agents = new ArrayList<>();
            try (ResultSet rs = c.prepare("SELECT " + COLUMNS + " FROM agents ORDER BY name").executeQuery()) {
                while (rs.next()) {
                    agents.add(record(rs, capabilities.getOrDefault(rs.getString(1), List.of()),
                            wasi.getOrDefault(rs.getString(1), WasiSettings.NONE)));
                }
            }
            return agents;
        });
    }

    @Override
    public boolean remove(String name) {
        Objects.requireNonNull(name, "name");
        // The capabilities go with the agent (ON DELETE CASCADE).
        return db.writeOne("remove agent " + name, c -> {
            PreparedStatement delete = c.prepare("DELETE FROM agents WHERE name = ?");
            delete.setString(1, name);
            return delete.executeUpdate() > 0;
        });
    }

    private static AgentRecord record(ResultSet rs, List<String> capabilities, WasiSettings wasi) throws SQLException {
        return new AgentRecord(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getLong(4), rs.getLong(5), rs.getLong(6),
                capabilities, rs.getString(7), rs.getString(8), rs.getString(9), instant(rs, 10), instant(rs, 12),
                rs.getInt(14) != 0, rs.getInt(15) != 0, wasi.args(), wasi.env(), rs.getString(16), rs.getInt(17));
    }

    /** The WASI arguments and environment of one agent. */
    private record WasiSettings(List<String> args, Map<String, String> env) {
        static final WasiSettings NONE = new WasiSettings(List.of(), Map.of());
    }

    private static void putWasiSettings(Database.Conn c, AgentRecord agent) throws SQLException {
        PreparedStatement clear = c.prepare("DELETE FROM agent_wasi_settings WHERE agent_name = ?");
        clear.setString(1, agent.name());
        clear.executeUpdate();
        PreparedStatement add = c.prepare(
                "INSERT INTO agent_wasi_settings (agent_name, kind, position, value) VALUES (?, ?, ?, ?)");
        int position = 0;
        for (String arg : agent.wasiArgs()) {
            add.setString(1, agent.name());
            add.setString(2, "arg");
            add.setInt(3, position++);
            add.setString(4, arg);
            add.executeUpdate();
        }
        position = 0;
        // Sorted, so that a record reads back the same whatever order its map iterates in.
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(agent.wasiEnv()).entrySet()) {
            add.setString(1, agent.name());
            add.setString(2, "env");
            add.setInt(3, position++);
            add.setString(4, e.getKey() + "=" + e.getValue());
            add.executeUpdate();
        }
    }

    /** The settings of one agent, or of every agent when {@code name} is null. */
    private static Map<String, WasiSettings> wasiSettings(Database.Conn c, String name) throws SQLException {
        PreparedStatement select = c.prepare("SELECT agent_name, kind, value FROM agent_wasi_settings"
                + (name == null ? "" : " WHERE agent_name = ?") + " ORDER BY agent_name, kind, position");
        if (name != null) {
            select.setString(1, name);
        }
        Map<String, List<String>> args = new HashMap<>();
        Map<String, Map<String, String>> env = new HashMap<>();
        try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                String agent = rs.getString(1);
                String value = rs.getString(3);
                if (rs.getString(2).equals("arg")) {
                    args.computeIfAbsent(agent, k -> new ArrayList<>()).add(value);
                } else {
                    int eq = value.indexOf('=');
                    env.computeIfAbsent(agent, k -> new HashMap<>()).put(value.substring(0, eq), value.substring(eq + 1));
                }
            }
        }
        Map<String, WasiSettings> out = new HashMap<>();
        for (String agent : args.keySet()) {
            out.put(agent, new WasiSettings(args.get(agent), env.getOrDefault(agent, Map.of())));
        }
        for (String agent : env.keySet()) {
            out.putIfAbsent(agent, new WasiSettings(List.of(), env.get(agent)));
        }
        return out;
    }
}

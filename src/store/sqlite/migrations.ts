/** SQLite schema, one entry per version; applied in order at start, each in a transaction. */
export const sqliteMigrations: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE agents (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id TEXT NOT NULL UNIQUE,
        agent_name TEXT NOT NULL,
        version TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        contact_endpoint TEXT NOT NULL,
        metadata TEXT NOT NULL,
        signing_secret TEXT NOT NULL,
        registered_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE agent_capabilities (
        capability TEXT NOT NULL,
        agent_seq INTEGER NOT NULL REFERENCES agents(seq) ON DELETE CASCADE,
        PRIMARY KEY (capability, agent_seq)
      ) WITHOUT ROWID;
      CREATE TABLE tasks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL UNIQUE,
        agent_id TEXT NOT NULL,
        task_name TEXT NOT NULL,
        parameters TEXT NOT NULL,
        opscore_session_id TEXT,
        opscore_task_id TEXT,
        timeout_seconds INTEGER,
        deadline TEXT,
        status TEXT NOT NULL,
        progress REAL,
        message TEXT,
        result TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        delivered_at TEXT,
        finished_at TEXT,
        idempotency_key TEXT,
        request_hash TEXT NOT NULL
      );
      CREATE UNIQUE INDEX tasks_idempotency ON tasks(agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX tasks_by_agent ON tasks(agent_id, seq);
      CREATE INDEX tasks_by_status ON tasks(status, seq);
      CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id TEXT NOT NULL UNIQUE,
        webhook_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        event_type TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        task_id TEXT,
        target_url TEXT NOT NULL,
        payload TEXT NOT NULL,
        order_key TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        retry_base INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        expires_at INTEGER,
        lease_owner TEXT,
        lease_until INTEGER,
        last_status_code INTEGER,
        last_error TEXT,
        last_latency_ms REAL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
      CREATE INDEX deliveries_ordered ON deliveries(order_key, seq) WHERE status = 'pending' AND order_key IS NOT NULL;
      CREATE INDEX deliveries_by_status ON deliveries(status, seq);
      CREATE INDEX deliveries_by_agent ON deliveries(agent_id, seq);
      CREATE INDEX deliveries_by_task ON deliveries(task_id) WHERE task_id IS NOT NULL;
      CREATE TABLE delivery_attempts (
        delivery_seq INTEGER NOT NULL REFERENCES deliveries(seq) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at TEXT NOT NULL,
        status_code INTEGER,
        latency_ms REAL NOT NULL,
        error TEXT,
        PRIMARY KEY (delivery_seq, attempt)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    sql: `
      CREATE INDEX tasks_open_by_deadline ON tasks(deadline) WHERE status IN ('delivered', 'running') AND deadline IS NOT NULL;
    `,
  },
  {
    version: 3,
    sql: `
      ALTER TABLE tasks ADD COLUMN opscore_message TEXT;
    `,
  },
  {
    version: 4,
    sql: `
      ALTER TABLE agents ADD COLUMN heartbeat_interval_s INTEGER;
      ALTER TABLE agents ADD COLUMN max_concurrent_tasks INTEGER;
      ALTER TABLE agents ADD COLUMN active_tasks INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE agents ADD COLUMN last_seen_at TEXT;
      ALTER TABLE tasks ADD COLUMN heartbeat_timeout_ms INTEGER;
      ALTER TABLE tasks ADD COLUMN heartbeat_due_at INTEGER;
      ALTER TABLE tasks ADD COLUMN last_heartbeat_at TEXT;
      ALTER TABLE tasks ADD COLUMN heartbeat TEXT;
      ALTER TABLE tasks ADD COLUMN cancel_requested_at TEXT;
      ALTER TABLE tasks ADD COLUMN cancel_reason TEXT;
      ALTER TABLE tasks ADD COLUMN cancel_due_at INTEGER;
      ALTER TABLE tasks ADD COLUMN holds_slot INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tasks ADD COLUMN late_outcome TEXT;
      ALTER TABLE deliveries ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX tasks_heartbeat_due ON tasks(heartbeat_due_at) WHERE status IN ('delivered', 'running') AND heartbeat_due_at IS NOT NULL;
      CREATE INDEX tasks_cancel_due ON tasks(cancel_due_at) WHERE status = 'canceling';
      CREATE INDEX deliveries_held ON deliveries(agent_id, seq) WHERE held = 1 AND status = 'pending';
      CREATE INDEX deliveries_held_expiry ON deliveries(expires_at) WHERE held = 1 AND status = 'pending' AND expires_at IS NOT NULL;
    `,
  },
  {
    version: 5,
    sql: `
      ALTER TABLE agents ADD COLUMN token_hash TEXT;
    `,
  },
  {
    // Rotation keeps the replaced secret and credential for a grace period; queued_tasks counts
    // the agent's tasks not yet taken, for its cap, in the transactions that move them.
    version: 6,
    sql: `
      ALTER TABLE agents ADD COLUMN previous_signing_secret TEXT;
      ALTER TABLE agents ADD COLUMN previous_secret_until INTEGER;
      ALTER TABLE agents ADD COLUMN previous_token_hash TEXT;
      ALTER TABLE agents ADD COLUMN previous_token_until INTEGER;
      ALTER TABLE agents ADD COLUMN queued_tasks INTEGER NOT NULL DEFAULT 0;
      UPDATE agents SET queued_tasks = (SELECT COUNT(*) FROM tasks WHERE tasks.agent_id = agents.agent_id AND tasks.status = 'queued');
    `,
  },
  {
    // Each task's event log (domain/task-events.ts), written in the transactions that change the
    // task; heartbeats are counted on the task instead. No foreign key: tasks are never deleted,
    // and the check would cost a lookup per event. Tasks from before have no events.
    version: 7,
    sql: `
      ALTER TABLE tasks ADD COLUMN heartbeats INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE task_events (
        seq INTEGER PRIMARY KEY,
        task_id TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        progress REAL,
        message TEXT,
        error TEXT
      );
      CREATE INDEX task_events_by_task ON task_events(task_id, seq);
    `,
  },
];

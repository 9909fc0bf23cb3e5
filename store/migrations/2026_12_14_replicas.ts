/**
 * Replicas (issue 17, item 3): `argus_replicas`, one row per Argus process sharing the database,
 * upserted by its heartbeat with its queue and dead-letter figures; `argus_leases`, named leases
 * (`maintenance`: retention and the metric rollup job) each held by one replica until
 * `expires_at_ms`. Written and read by store/replicas.ts. Times are Unix milliseconds of the
 * database's clock (store/replicas.ts says why).
 *
 * Two small tables of a few rows each: no index beyond their keys.
 *
 * Frozen in time: the types are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";
import { TYPES } from "./2026_12_11_metrics.ts";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

export function replicasSchema(driver: Driver): Migration {
  const t = TYPES[driver];
  const type = (name: string) => sql.raw(name);
  return {
    async up(db: Kysely<unknown>) {
      const table = (name: string) => {
        const create = db.schema.createTable(name);
        return driver === "sqlserver" ? create : create.ifNotExists();
      };
      const options = driver === "mysql"
        ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`
        : sql``;
      await table("argus_replicas")
        // A UUID, new at each start of a process (main.ts `replicaId`).
        .addColumn("replica_id", type(t.text(36)), (c) => c.notNull().primaryKey())
        .addColumn("name", type(t.text(256)), (c) => c.notNull())
        .addColumn("pid", type(t.int32), (c) => c.notNull())
        .addColumn("version", type(t.text(64)), (c) => c.notNull())
        .addColumn("started_at_ms", type(t.int64), (c) => c.notNull())
        .addColumn("heartbeat_at_ms", type(t.int64), (c) => c.notNull())
        .addColumn("queue_rows", type(t.int64), (c) => c.notNull())
        .addColumn("dlq_files", type(t.int64), (c) => c.notNull())
        // 1 while the replica holds the `maintenance` lease, else 0.
        .addColumn("holds_maintenance", type(t.int32), (c) => c.notNull())
        .modifyEnd(options)
        .execute();
      await table("argus_leases")
        .addColumn("name", type(t.text(64)), (c) => c.notNull().primaryKey())
        .addColumn("holder", type(t.text(36)), (c) => c.notNull())
        .addColumn("expires_at_ms", type(t.int64), (c) => c.notNull())
        .modifyEnd(options)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const name of ["argus_leases", "argus_replicas"]) {
        await db.schema.dropTable(name).ifExists().execute();
      }
    },
  };
}

/**
 * Rollup tables, written at ingest for dashboards (see store/rollups.ts): per minute × service
 * (× operation) span counts, a latency histogram, log counts per severity, and caller → callee
 * edges.
 *
 * Frozen in time like every migration: types are repeated here rather than imported. The key of
 * each table is its primary key; its first column, `minute`, serves every time-window read.
 * Keys with two 256-character service names exceed SQL Server's 900-byte limit for a clustered
 * key, so there the primary keys are nonclustered (limit 1700 bytes).
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const TYPES: Record<Driver, { text(width: number): string; int64: string; int32: string }> = {
  sqlite: { text: () => "text", int64: "integer", int32: "integer" },
  postgres: { text: (n) => `varchar(${n})`, int64: "bigint", int32: "integer" },
  mysql: { text: (n) => `varchar(${n})`, int64: "bigint", int32: "int" },
  sqlserver: { text: (n) => `nvarchar(${n})`, int64: "bigint", int32: "int" },
};

interface TableSpec {
  name: string;
  columns: [name: string, type: "int64" | "int32" | number][];
  key: string[];
}

const TABLES: TableSpec[] = [
  {
    name: "span_rollups",
    columns: [
      ["minute", "int64"],
      ["service_name", 256],
      ["operation", 256],
      ["entry", "int32"],
      ["spans", "int64"],
      ["errors", "int64"],
      ["roots", "int64"],
      ["duration_sum_ns", "int64"],
    ],
    key: ["minute", "service_name", "operation", "entry"],
  },
  {
    name: "latency_rollups",
    columns: [["minute", "int64"], ["service_name", 256], ["bucket", "int32"], ["spans", "int64"]],
    key: ["minute", "service_name", "bucket"],
  },
  {
    name: "log_rollups",
    columns: [
      ["minute", "int64"],
      ["service_name", 256],
      ["severity_number", "int32"],
      ["logs", "int64"],
    ],
    key: ["minute", "service_name", "severity_number"],
  },
  {
    name: "edge_rollups",
    columns: [
      ["minute", "int64"],
      ["caller", 256],
      ["callee", 256],
      ["calls", "int64"],
      ["errors", "int64"],
      ["duration_sum_ns", "int64"],
    ],
    key: ["minute", "caller", "callee"],
  },
];

export function rollupsSchema(driver: Driver): Migration {
  const t = TYPES[driver];
  return {
    async up(db: Kysely<unknown>) {
      for (const spec of TABLES) {
        let create = db.schema.createTable(spec.name);
        if (driver !== "sqlserver") create = create.ifNotExists();
        for (const [name, type] of spec.columns) {
          const sqlType = typeof type === "number" ? t.text(type) : t[type];
          create = create.addColumn(name, sql.raw(sqlType), (c) => c.notNull());
        }
        if (driver !== "sqlserver") {
          create = create.addPrimaryKeyConstraint(`${spec.name}_pk`, spec.key as never[]);
        }
        if (driver === "mysql") {
          create = create.modifyEnd(
            sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`,
          );
        }
        await create.execute();
        if (driver === "sqlserver") {
          await sql`alter table ${sql.table(spec.name)} add constraint ${
            sql.ref(`${spec.name}_pk`)
          } primary key nonclustered (${sql.join(spec.key.map((k) => sql.ref(k)))})`
            .execute(db);
        }
      }
    },
    async down(db: Kysely<unknown>) {
      for (const spec of [...TABLES].reverse()) {
        await db.schema.dropTable(spec.name).ifExists().execute();
      }
    },
  };
}

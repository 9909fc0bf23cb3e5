/**
 * The hourly tier of the rollups (see store/rollups.ts): each per-minute rollup table gets a twin
 * whose `minute` is the first minute of an hour, so that long windows read 60 times fewer rows.
 * Filled from the minute tables already stored, so existing data keeps its dashboards.
 *
 * Frozen in time like every migration: the tables' shapes are repeated here.
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
  from: string;
  name: string;
  key: [name: string, type: "int64" | "int32" | number][];
  sums: string[];
}

const TABLES: TableSpec[] = [
  {
    from: "span_rollups",
    name: "span_rollups_hourly",
    key: [["minute", "int64"], ["service_name", 256], ["operation", 256], ["entry", "int32"]],
    sums: ["spans", "errors", "roots", "duration_sum_ns"],
  },
  {
    from: "latency_rollups",
    name: "latency_rollups_hourly",
    key: [["minute", "int64"], ["service_name", 256], ["bucket", "int32"]],
    sums: ["spans"],
  },
  {
    from: "log_rollups",
    name: "log_rollups_hourly",
    key: [["minute", "int64"], ["service_name", 256], ["severity_number", "int32"]],
    sums: ["logs"],
  },
  {
    from: "edge_rollups",
    name: "edge_rollups_hourly",
    key: [["minute", "int64"], ["caller", 256], ["callee", 256]],
    sums: ["calls", "errors", "duration_sum_ns"],
  },
];

export function hourlyRollupsSchema(driver: Driver): Migration {
  const t = TYPES[driver];
  return {
    async up(db: Kysely<unknown>) {
      for (const spec of TABLES) {
        let create = db.schema.createTable(spec.name);
        if (driver !== "sqlserver") create = create.ifNotExists();
        for (const [name, type] of spec.key) {
          const sqlType = typeof type === "number" ? t.text(type) : t[type];
          create = create.addColumn(name, sql.raw(sqlType), (c) => c.notNull());
        }
        for (const name of spec.sums) {
          create = create.addColumn(name, sql.raw(t.int64), (c) => c.notNull());
        }
        const keyNames = spec.key.map(([name]) => name);
        // Two 256-character names exceed SQL Server's 900-byte clustered key (see 2026_11_26_rollups).
        if (driver !== "sqlserver") {
          create = create.addPrimaryKeyConstraint(`${spec.name}_pk`, keyNames as never[]);
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
          } primary key nonclustered (${sql.join(keyNames.map((k) => sql.ref(k)))})`
            .execute(db);
        }
        // Existing minutes, summed per hour.
        const minute = sql.ref("minute");
        const hour = sql`${minute} - (${minute} % 60)`;
        const others = keyNames.slice(1).map((k) => sql.ref(k));
        await sql`insert into ${sql.table(spec.name)} (${
          sql.join([...keyNames, ...spec.sums].map((c) => sql.ref(c)))
        })
          select ${hour}, ${sql.join(others)}, ${
          sql.join(spec.sums.map((c) => sql`sum(${sql.ref(c)})`))
        }
          from ${sql.table(spec.from)}
          group by ${hour}, ${sql.join(others)}`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const spec of [...TABLES].reverse()) {
        await db.schema.dropTable(spec.name).ifExists().execute();
      }
    },
  };
}

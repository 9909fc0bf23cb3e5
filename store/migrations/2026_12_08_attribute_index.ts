/**
 * The attribute index (issue 15; written at ingest by store/attribute_postings.ts, read by
 * store/attribute_index.ts): `span_attributes(bucket, h, trace_id)` and `log_attributes(bucket,
 * h, log_id)`, keyed in that order (`bucket`: the row's time in 10-minute units, first so that
 * inserts append near the B-tree's end and a purge deletes a key range; SQLite: WITHOUT ROWID,
 * the key is the table), so that a retried or replayed row inserts nothing twice; and
 * `attribute_index_state`, which records per signal the time below which rows may be missing
 * from the index (`indexed_from_ns`) and the keys setting it was written under.
 *
 * Not backfilled: the rows already stored stay out of the index, and queries scan the part of a
 * window before `indexed_from_ns` (the newest stored time + 1 ns at migration). Frozen in time:
 * the widths are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const TYPES: Record<
  Driver,
  { text(width: number): string; int32: string; int64: string; longText: string }
> = {
  sqlite: { text: () => "text", int32: "integer", int64: "integer", longText: "text" },
  postgres: { text: (n) => `varchar(${n})`, int32: "integer", int64: "bigint", longText: "text" },
  mysql: { text: (n) => `varchar(${n})`, int32: "int", int64: "bigint", longText: "mediumtext" },
  sqlserver: {
    text: (n) => `nvarchar(${n})`,
    int32: "int",
    int64: "bigint",
    longText: "nvarchar(max)",
  },
};

/** The keys setting the state starts with: every key (the default). */
const ALL_KEYS = JSON.stringify({ include: "*", skip: [] });

export function attributeIndexSchema(driver: Driver): Migration {
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
      // SQLite: the key is the table (no rowid, no second B-tree); the others cluster by their
      // primary key (PostgreSQL keeps a heap beside it).
      const end = driver === "sqlite" ? sql`without rowid` : options;
      await table("span_attributes")
        .addColumn("bucket", type(t.int32), (c) => c.notNull())
        .addColumn("h", type(t.int64), (c) => c.notNull())
        .addColumn("trace_id", type(t.text(32)), (c) => c.notNull())
        .addPrimaryKeyConstraint("span_attributes_pk", ["bucket", "h", "trace_id"] as never[])
        .modifyEnd(end)
        .execute();
      await table("log_attributes")
        .addColumn("bucket", type(t.int32), (c) => c.notNull())
        .addColumn("h", type(t.int64), (c) => c.notNull())
        .addColumn("log_id", type(t.text(32)), (c) => c.notNull())
        .addPrimaryKeyConstraint("log_attributes_pk", ["bucket", "h", "log_id"] as never[])
        .modifyEnd(end)
        .execute();
      await table("attribute_index_state")
        .addColumn("signal_name", type(t.text(16)), (c) => c.notNull().primaryKey())
        .addColumn("indexed_from_ns", type(t.int64), (c) => c.notNull())
        .addColumn("index_keys", type(t.longText), (c) => c.notNull())
        .modifyEnd(options)
        .execute();
      const times = [["spans", "start_time_unix_nano"], ["logs", "time_unix_nano"]] as const;
      for (const [signal, time] of times) {
        await sql`insert into attribute_index_state (signal_name, indexed_from_ns, index_keys)
          select ${sql.lit(signal)}, coalesce(max(${sql.ref(time)}) + 1, 0), ${sql.lit(ALL_KEYS)}
          from ${sql.table(signal)}`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("attribute_index_state").ifExists().execute();
      await db.schema.dropTable("log_attributes").ifExists().execute();
      await db.schema.dropTable("span_attributes").ifExists().execute();
    },
  };
}

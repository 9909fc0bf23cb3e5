/**
 * PostgreSQL: spans, logs and their attribute index (`span_attributes`, `log_attributes`) become
 * tables partitioned by time (`PARTITION BY RANGE` of a span's start, a record's time, an index
 * row's 10-minute bucket), so that retention drops whole partitions instead of deleting rows
 * (store/partitions.ts creates the partitions ahead and drops them). The other databases keep
 * their tables as they are (see ARCHITECTURE.md for MySQL's reasons).
 *
 * A primary key of a partitioned table must hold the partition column: spans are keyed
 * (trace_id, span_id, start_time_unix_nano) and logs (id, time_unix_nano). The writers' keys no
 * longer decide alone, so the bulk insert skips a row whose key is stored under another time
 * (dialects/postgres_bulk.ts).
 *
 * What happens to each table, in one transaction holding its ACCESS EXCLUSIVE lock:
 * 1. its definition is read: the primary key's columns and every other index's `CREATE INDEX`;
 * 2. it is renamed `<table>_legacy` (its indexes `<name>_legacy`), and the partitioned table is
 *    created under its name with the same columns, key (plus the time column) and indexes;
 * 3. an empty old table is dropped; otherwise it becomes the partition of all times before the
 *    next UTC midnight (`FROM (MINVALUE) TO (midnight)`), rows at or after that midnight (clocks
 *    ahead) first moved out, and a CHECK constraint written first so that attaching it does not
 *    scan it again. Its rows are not copied: the cost is one scan (the CHECK) and one index build
 *    (the key with the time column), both in proportion to the table and under its lock. Ingest
 *    waits meanwhile (docs/benchmarks.md measures it). Retention deletes from this partition as it
 *    did from the table, in chunks, and drops it whole once the last of its range is past;
 * 4. a DEFAULT partition takes rows no other partition covers (times far behind or ahead).
 *
 * Frozen: it reads the catalog rather than repeating the earlier migrations' indexes, so it holds
 * whatever those created on a given database (the log text index exists only with pg_trgm).
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const DAY_NS = 86_400_000_000_000n;
/** The attribute index's bucket: 10 minutes (store/attribute_index.ts BUCKET_NS, frozen here). */
const BUCKET_NS = 600_000_000_000n;

const TABLES = [
  { table: "spans", column: "start_time_unix_nano", unitNs: 1n },
  { table: "logs", column: "time_unix_nano", unitNs: 1n },
  { table: "span_attributes", column: "bucket", unitNs: BUCKET_NS },
  { table: "log_attributes", column: "bucket", unitNs: BUCKET_NS },
] as const;

export function timePartitionsSchema(driver: Driver, nowMs: () => number = Date.now): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (driver !== "postgres") return;
      const now = BigInt(nowMs()) * 1_000_000n;
      const midnight = now - now % DAY_NS + DAY_NS;
      for (const spec of TABLES) await partition(db, spec, midnight / spec.unitNs);
    },
    down() {
      return Promise.reject(
        new Error("Cannot undo the time partitioning of spans and logs: restore a backup instead"),
      );
    },
  };
}

/**
 * Makes `spec.table` partitioned by `spec.column`, its rows before `bound` (the column's unit) the
 * legacy partition (steps 1–4 above). Also used by 2026_12_19_metric_partitions.
 */
export async function partition(
  db: Kysely<unknown>,
  spec: { table: string; column: string },
  bound: bigint,
): Promise<void> {
  const { table, column } = spec;
  const legacy = `${table}_legacy`;
  const { rows: kind } = await sql<{ relkind: string }>`
    select relkind from pg_class where oid = to_regclass(${table})`.execute(db);
  if (kind[0]?.relkind !== "r") return; // partitioned already, or absent
  await sql`lock table ${sql.table(table)} in access exclusive mode`.execute(db);

  const { rows: keys } = await sql<{ name: string; columns: string[] }>`
    select c.conname as name,
           array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
                 join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
                 order by k.i) as columns
    from pg_constraint c where c.conrelid = to_regclass(${table}) and c.contype = 'p'`
    .execute(db);
  const key = keys[0];
  if (key === undefined) throw new Error(`Cannot partition ${table}: it has no primary key`);
  const { rows: indexes } = await sql<{ name: string; definition: string }>`
    select indexname as name, indexdef as definition from pg_indexes
    where schemaname = current_schema() and tablename = ${table} and indexname <> ${key.name}`
    .execute(db);

  await sql`alter table ${sql.table(table)} rename to ${sql.table(legacy)}`.execute(db);
  await sql`alter table ${sql.table(legacy)} rename constraint ${sql.ref(key.name)}
    to ${sql.ref(`${key.name}_legacy`)}`.execute(db);
  for (const index of indexes) {
    await sql`alter index ${sql.ref(index.name)} rename to ${sql.ref(`${index.name}_legacy`)}`
      .execute(db);
  }

  await sql`create table ${sql.table(table)} (like ${sql.table(legacy)} including defaults)
    partition by range (${sql.ref(column)})`.execute(db);
  const keyColumns = key.columns.includes(column) ? key.columns : [...key.columns, column];
  await sql`alter table ${sql.table(table)} add constraint ${sql.ref(key.name)}
    primary key (${sql.join(keyColumns.map((c) => sql.ref(c)))})`.execute(db);
  // The definitions name the table, which is now the partitioned one.
  for (const index of indexes) await sql.raw(index.definition).execute(db);

  const { rows: empty } = await sql<{ empty: boolean }>`
    select not exists (select 1 from ${sql.table(legacy)}) as empty`.execute(db);
  let moved = false;
  if (empty[0]?.empty) {
    await sql`drop table ${sql.table(legacy)}`.execute(db);
  } else {
    const holding = `argus_moving_${table}`;
    await sql`create temporary table ${sql.table(holding)} (like ${sql.table(legacy)})
      on commit drop`.execute(db);
    const { numAffectedRows } = await sql`
      with gone as (delete from ${sql.table(legacy)} where ${sql.ref(column)} >= ${bound.toString()}
                    returning *)
      insert into ${sql.table(holding)} select * from gone`.execute(db);
    moved = (numAffectedRows ?? 0n) > 0n;
    // A partition has its parent's key and no other: attaching builds it (the old key's
    // columns first, so it serves the same look-ups).
    await sql`alter table ${sql.table(legacy)} drop constraint ${sql.ref(`${key.name}_legacy`)}`
      .execute(db);
    await sql`alter table ${sql.table(legacy)} add constraint ${sql.ref(`${legacy}_range`)}
      check (${sql.ref(column)} < ${sql.lit(bound.toString())})`.execute(db);
    await sql`alter table ${sql.table(table)} attach partition ${sql.table(legacy)}
      for values from (minvalue) to (${sql.lit(bound.toString())})`.execute(db);
    if (!moved) await sql`drop table ${sql.table(holding)}`.execute(db);
  }
  await sql`create table ${sql.table(`${table}_default`)} partition of ${sql.table(table)} default`
    .execute(db);
  if (moved) {
    await sql`insert into ${sql.table(table)} select * from ${sql.table(`argus_moving_${table}`)}`
      .execute(db);
  }
}

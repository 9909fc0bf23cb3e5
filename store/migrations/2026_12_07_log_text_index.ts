/**
 * A text index over log bodies, which the log text search (store/log_search.ts) reads to find the
 * few records a rare term is in without reading the window's records (issue 15):
 *
 * - SQLite: `logs_text`, an FTS5 table with the trigram tokenizer (every substring of three
 *   characters or more can be looked up, ignoring case), contentless (it stores no copy of the
 *   bodies) with `contentless_delete=1`; its rowid is the logs row's rowid. Triggers on `logs`
 *   keep it exact through every insert (ingest, DLQ replay) and delete (purge). VACUUM keeps the
 *   rowids of a table that has indexes, as `logs` has (tests/log_text_search_test.ts checks it).
 * - PostgreSQL: `logs_body_trgm`, a pg_trgm GIN index on `logs.body`, which the planner uses for
 *   the search's own ILIKE. Creating the extension may be refused (not installed, or the user may
 *   not create it): the migration then leaves the index out and succeeds, and the search scans
 *   (store/log_search.ts tells which; Argus logs it at start).
 * - MySQL/MariaDB and SQL Server: none; the search scans the window. Their full-text indexes
 *   split text into words (MariaDB has no n-gram parser; SQL Server fills its index after the
 *   commit), so they cannot find every substring the search must.
 *
 * Filled from the records already stored. Frozen in time like every migration.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

export function logTextIndexSchema(driver: Driver): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (driver === "sqlite") {
        await sql`create virtual table if not exists logs_text using fts5(body, content='',
          contentless_delete=1, tokenize='trigram')`.execute(db);
        // Inserts are indexed by the commit that makes them, in one statement (a trigger per row
        // cost more: store/log_search.ts SQLITE_LOG_TEXT).
        await sql`create trigger if not exists logs_text_delete after delete on logs begin
          delete from logs_text where rowid = old.rowid; end`.execute(db);
        // Argus never updates a body; were it to, the index would follow.
        await sql`create trigger if not exists logs_text_update after update of body on logs begin
          delete from logs_text where rowid = old.rowid;
          insert into logs_text (rowid, body) values (new.rowid, new.body); end`.execute(db);
        await sql`delete from logs_text`.execute(db);
        await sql`insert into logs_text (rowid, body) select rowid, body from logs`.execute(db);
      } else if (driver === "postgres") {
        // The migrations run in one transaction: a refused statement must not abort it.
        await sql`savepoint argus_log_text_index`.execute(db);
        try {
          await sql`create extension if not exists pg_trgm`.execute(db);
          await sql`create index if not exists logs_body_trgm on logs
            using gin (body gin_trgm_ops)`.execute(db);
          await sql`release savepoint argus_log_text_index`.execute(db);
        } catch {
          await sql`rollback to savepoint argus_log_text_index`.execute(db);
        }
      }
    },
    async down(db: Kysely<unknown>) {
      if (driver === "sqlite") {
        for (const trigger of ["logs_text_insert", "logs_text_delete", "logs_text_update"]) {
          await sql`drop trigger if exists ${sql.raw(trigger)}`.execute(db);
        }
        await sql`drop table if exists logs_text`.execute(db);
      } else if (driver === "postgres") {
        await sql`drop index if exists logs_body_trgm`.execute(db);
      }
    },
  };
}

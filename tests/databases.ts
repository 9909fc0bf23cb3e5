/**
 * The database matrix for tests. `ARGUS_TEST_DATABASES` (comma-separated: sqlite, postgres,
 * mysql) selects the databases; the default is all three, which is what CI runs on this machine
 * (PostgreSQL on 127.0.0.1:5432, MariaDB on 127.0.0.1:3306). Each suite gets a fresh database of
 * its own, created through an admin connection and dropped afterwards, so the machine's shared
 * databases are never touched.
 *
 * @module
 */
import pg from "pg";
import * as mysql from "mysql2/promise";
import { parseConfig } from "../lib/config.ts";
import type { DatabaseConfig, DbDriver } from "../lib/config.ts";
import { errorMessage } from "../utils/errors.ts";

export const TESTABLE_DRIVERS = ["sqlite", "postgres", "mysql"] as const;
export type TestableDriver = typeof TESTABLE_DRIVERS[number];

export function selectedDrivers(): TestableDriver[] {
  const text = Deno.env.get("ARGUS_TEST_DATABASES") ?? TESTABLE_DRIVERS.join(",");
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const name of names) {
    if (!(TESTABLE_DRIVERS as readonly string[]).includes(name)) {
      throw new RangeError(
        `ARGUS_TEST_DATABASES must list some of ${TESTABLE_DRIVERS.join(", ")}: ` +
          `current value is ${JSON.stringify(text)}`,
      );
    }
  }
  return names as TestableDriver[];
}

const POSTGRES_ADMIN = Deno.env.get("ARGUS_TEST_POSTGRES_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";
const MYSQL_ADMIN = Deno.env.get("ARGUS_TEST_MYSQL_URL") ?? "mysql://root@127.0.0.1:3306/test";

export interface TestDatabase {
  driver: DbDriver;
  config: DatabaseConfig;
  /** Folder for SQLite files (a temporary one). */
  dataDir: string;
  drop(): Promise<void>;
}

function uniqueName(): string {
  return `argus_test_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * The environment that points an Argus process (tests/argus_process.ts) at a test database: none
 * for SQLite (the process's own file in its folder), DB_DRIVER and DB_DSN for a server.
 */
export function argusDatabaseEnv(
  driver: TestableDriver,
  database: TestDatabase,
): Record<string, string> {
  return driver === "sqlite" ? {} : { DB_DRIVER: driver, DB_DSN: database.config.dsn };
}

/** The default database configuration with another driver and DSN. */
export function databaseConfig(driver: DbDriver, dsn: string): DatabaseConfig {
  const parsed = parseConfig({ DB_DRIVER: driver, DB_DSN: dsn });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.config.db;
}

function unreachable(driver: string, url: string, error: unknown): Error {
  return new Error(
    `The ${driver} test server at ${url} cannot be reached (${
      errorMessage(error)
    }): start it, point ARGUS_TEST_${driver.toUpperCase()}_URL at another, ` +
      `or leave ${driver} out of ARGUS_TEST_DATABASES`,
    { cause: error },
  );
}

/** A new, empty database of the given kind. */
export async function freshDatabase(driver: TestableDriver): Promise<TestDatabase> {
  const name = uniqueName();
  switch (driver) {
    case "sqlite": {
      const dataDir = await Deno.makeTempDir({ prefix: "argus-test-" });
      return {
        driver,
        config: databaseConfig("sqlite", `${name}.db`),
        dataDir,
        drop: () => Deno.remove(dataDir, { recursive: true }),
      };
    }
    case "postgres": {
      const admin = new pg.Client({ connectionString: POSTGRES_ADMIN });
      try {
        await admin.connect();
        await admin.query(`create database ${name}`);
      } catch (error) {
        await admin.end().catch(() => {});
        throw unreachable("postgres", POSTGRES_ADMIN, error);
      }
      const url = new URL(POSTGRES_ADMIN);
      url.pathname = `/${name}`;
      return {
        driver,
        config: databaseConfig("postgres", url.toString()),
        dataDir: ".",
        drop: async () => {
          try {
            await admin.query(`drop database if exists ${name} with (force)`);
          } finally {
            await admin.end();
          }
        },
      };
    }
    case "mysql": {
      let admin: mysql.Connection;
      try {
        admin = await mysql.createConnection(MYSQL_ADMIN);
        await admin.query(`create database ${name}`);
      } catch (error) {
        throw unreachable("mysql", MYSQL_ADMIN, error);
      }
      const url = new URL(MYSQL_ADMIN);
      url.pathname = `/${name}`;
      return {
        driver,
        config: databaseConfig("mysql", url.toString()),
        dataDir: ".",
        drop: async () => {
          try {
            await admin.query(`drop database if exists ${name}`);
          } finally {
            await admin.end();
          }
        },
      };
    }
  }
}

/**
 * `attr=key=value` matches as SQL conditions, for the trace list and the log list: the exact
 * check on the stored attributes' JSON (`attributeFragments`), and, when the attribute index can
 * serve the match (attribute_index.ts), the index's candidates, which narrow the rows the check
 * reads.
 *
 * @module
 */
import { type Expression, type Kysely, sql, type SqlBool } from "kysely";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import {
  ALL_KEYS,
  attributeCandidates,
  type AttributeIndexKeys,
  type CandidateTarget,
} from "./attribute_index.ts";
import type { AttributeMatch } from "./types.ts";

/** Reads at most this many ids of an `attr` match from the index, unless set otherwise. */
export const DEFAULT_ATTRIBUTE_CANDIDATES = 10_000;

/** `attr` matches as conditions: the index's candidates (some matches), the exact checks (all). */
export interface AttributeConditions {
  candidates: Expression<SqlBool>[];
  checks: Expression<SqlBool>[];
}

/** What the index may serve (QueryOptions' `attributeIndexKeys`, `attributeIndexCandidates`). */
export interface AttributeIndexUse {
  keys?: AttributeIndexKeys;
  candidates?: number;
}

/**
 * The texts an attribute's stored JSON contains when it has the value (lib/any_value_json.ts):
 * a string (`"key":"value"`), or a number or boolean written as such (`"key":200` followed by
 * `,` or `}`, so 200 does not match 2000; an integer also as a double, `200.0`).
 */
export function attributeFragments(match: AttributeMatch): string[] {
  const key = JSON.stringify(match.key);
  const fragments = [`${key}:${JSON.stringify(match.value)}`];
  const literals: string[] = [];
  if (/^(true|false)$/.test(match.value)) literals.push(match.value);
  if (/^-?\d+$/.test(match.value)) literals.push(match.value, `${match.value}.0`);
  else if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(match.value)) literals.push(match.value);
  for (const literal of literals) fragments.push(`${key}:${literal},`, `${key}:${literal}}`);
  return fragments;
}

/** The exact check of each match over `column` (a JSON text), which alone scans. */
export function exactChecks(
  caps: DialectCapabilities,
  matches: readonly AttributeMatch[],
  column: string,
): Expression<SqlBool>[] {
  return matches.map((match) => {
    const fragments = attributeFragments(match).map((f) => caps.contains(column, f));
    return sql<SqlBool>`(${sql.join(fragments, sql` or `)})`;
  });
}

/**
 * The conditions of `attr` matches: for each, the index's candidates when it can serve the
 * match, and the exact check over `column`.
 */
export async function attributeConditions(
  db: Kysely<Database>,
  caps: DialectCapabilities,
  index: AttributeIndexUse,
  matches: readonly AttributeMatch[],
  column: string,
  target: Omit<CandidateTarget, "candidates">,
): Promise<AttributeConditions> {
  const conditions: AttributeConditions = {
    candidates: [],
    checks: exactChecks(caps, matches, column),
  };
  for (const match of matches) {
    const candidates = await attributeCandidates(db, caps, index.keys ?? ALL_KEYS, match, {
      ...target,
      candidates: index.candidates ?? DEFAULT_ATTRIBUTE_CANDIDATES,
    });
    if (candidates !== undefined) conditions.candidates.push(candidates);
  }
  return conditions;
}

/**
 * A span's, record's or metric instrument's resource, joined: the columns `spanFromDb`,
 * `logFromDb` and `resourceFromJoin` (columns.ts) read, selected beside `spans.*`, `logs.*` or
 * `metric_instruments.*` from a join on `resources`.
 *
 * @module
 */
export const RESOURCE_COLUMNS = [
  "resources.service_name as r_service_name",
  "resources.attributes as r_attributes",
  "resources.dropped_attributes_count as r_dropped_attributes_count",
  "resources.schema_url as r_schema_url",
  "resources.entity_refs as r_entity_refs",
  "resources.long_text as r_long_text",
] as const;

/**
 * Turns the JSON reader's items into a `Batch`. Items wait here until their scope, then their
 * resource, is complete, and are then accepted or rejected together with them. (The protobuf
 * reader, where fields come in any order, builds its rows in one pass at the end instead.)
 *
 * @module
 */
import { RequestLogIds, resourceId } from "../../store/ids.ts";
import { escapeText } from "../../utils/text_escape.ts";
import type { Batch, LogRow, SpanRow } from "../../store/types.ts";

/** OTel's service.name when the resource has none (or one that is not a string). */
export const UNKNOWN_SERVICE = "unknown_service";

/** One of OTLP's `Resource.entity_refs`, as stored (snake_case, as the API answers it). */
export interface EntityRef {
  type: string;
  id_keys: string[];
  description_keys: string[];
  schema_url: string;
}

/** An `EntityRef` with none of its fields sent. */
export function emptyEntityRef(): EntityRef {
  return { type: "", id_keys: [], description_keys: [], schema_url: "" };
}

/**
 * Sets field number `field` (1 to 4) of an `EntityRef` message (schema_url 1, type 2, id_keys 3,
 * description_keys 4) to `text`, as the protobuf readers read it: a key is appended.
 */
export function setEntityRefField(ref: EntityRef, field: number, text: string): void {
  if (field === 1) ref.schema_url = text;
  else if (field === 2) ref.type = text;
  else if (field === 3) ref.id_keys.push(text);
  else ref.description_keys.push(text);
}

/** The stored text of a resource's entity refs: their JSON in the order sent, "" for none. */
export function entityRefsText(refs: readonly EntityRef[]): string {
  return refs.length === 0 ? "" : JSON.stringify(refs);
}

export class BatchAssembler {
  readonly batch: Batch = { resources: [], spans: [], logs: [] };
  /** Items refused, by their index in the request, in its order. */
  readonly rejected: { index: number; reason: string }[] = [];
  items = 0;
  readonly #resourceIds = new Set<string>();
  /** Items of the resource being decoded, and why each is refused (undefined: not refused). */
  readonly #pending: (SpanRow | LogRow)[] = [];
  readonly #reasons: (string | undefined)[] = [];
  readonly #logIds = new RequestLogIds();

  /**
   * @param nowNs Unix nanoseconds stored as the time of a log record that has neither a time nor
   * an observed time (its id does not depend on it).
   */
  constructor(readonly signal: "traces" | "logs", readonly nowNs: bigint = 0n) {}

  /** Index the next item will have; a scope remembers it to finish its own items. */
  get mark(): number {
    return this.#pending.length;
  }

  /** An item whose scope and resource fields are filled in later; `reason` refuses it. */
  add(row: SpanRow | LogRow, reason: string | undefined): void {
    this.#pending.push(row);
    this.#reasons.push(reason);
    this.items++;
  }

  /** Gives the items added since `from` their scope, or refuses them for the scope's problem. */
  finishScope(
    from: number,
    name: string,
    version: string,
    attributes: string,
    schemaUrl: string,
    droppedAttributesCount: number,
    problem: string | undefined,
  ): void {
    const pending = this.#pending;
    for (let i = from; i < pending.length; i++) {
      const row = pending[i]!;
      row.scopeName = name;
      row.scopeVersion = version;
      row.scopeAttributes = attributes;
      row.scopeSchemaUrl = schemaUrl;
      row.scopeDroppedAttributesCount = droppedAttributesCount;
      if (problem !== undefined) this.#reasons[i] = problem;
    }
  }

  /** Gives the pending items their resource and moves them into the batch (or rejects them). */
  finishResource(
    serviceName: string,
    attributes: string,
    droppedAttributesCount: number,
    schemaUrl: string,
    entityRefs: string,
    problem: string | undefined,
  ): void {
    const pending = this.#pending;
    const reasons = this.#reasons;
    if (pending.length === 0) return;
    let id = "";
    if (problem === undefined) {
      const fields = { serviceName, attributes, droppedAttributesCount, schemaUrl, entityRefs };
      id = resourceId(fields);
      let used = false;
      for (let i = 0; i < pending.length; i++) {
        if (reasons[i] === undefined) {
          used = true;
          break;
        }
      }
      if (used && !this.#resourceIds.has(id)) {
        this.#resourceIds.add(id);
        this.batch.resources.push({
          id,
          ...fields,
          serviceName: escapeText(serviceName),
          schemaUrl: escapeText(schemaUrl),
          longText: "",
        });
      }
    }
    for (let i = 0; i < pending.length; i++) {
      const reason = problem ?? reasons[i];
      if (reason !== undefined) {
        // The pending items are the last ones added: the first of them is item items - length.
        this.rejected.push({ index: this.items - pending.length + i, reason });
        continue;
      }
      const row = pending[i]!;
      row.resourceId = id;
      // Texts are stored escaped (utils/text_escape.ts), once a log's id is computed from them.
      row.serviceName = escapeText(serviceName);
      if (this.signal === "traces") {
        const span = row as SpanRow;
        span.traceState = escapeText(span.traceState);
        span.name = escapeText(span.name);
        span.statusMessage = escapeText(span.statusMessage);
        this.batch.spans.push(span);
      } else {
        const log = row as LogRow;
        log.id = this.#logIds.next(log);
        if (log.timeUnixNano === 0n) log.timeUnixNano = this.nowNs;
        log.severityText = escapeText(log.severityText);
        if (log.bodyType === "string") log.body = escapeText(log.body);
        log.eventName = escapeText(log.eventName);
        this.batch.logs.push(log);
      }
      row.scopeName = escapeText(row.scopeName);
      row.scopeVersion = escapeText(row.scopeVersion);
      row.scopeSchemaUrl = escapeText(row.scopeSchemaUrl);
    }
    pending.length = 0;
    reasons.length = 0;
  }
}

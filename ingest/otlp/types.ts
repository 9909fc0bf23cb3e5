/**
 * Types shared by the OTLP readers and their callers.
 *
 * @module
 */
import type { Batch } from "../../store/mod.ts";

/** Bounds on what one item may carry, so a small request cannot become a huge batch. */
export interface DecodeLimits {
  /** Per attribute list (resource, scope, span, event, link, log); the rest are counted as dropped. */
  maxAttributes: number;
  /** Per span; the rest are counted as dropped. */
  maxEvents: number;
  /** Per span; the rest are counted as dropped. */
  maxLinks: number;
  /** Nesting of arrays and kvlists inside one AnyValue; an item nesting deeper is rejected. */
  maxValueDepth: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxAttributes: 128,
  maxEvents: 128,
  maxLinks: 128,
  maxValueDepth: 16,
});

export type Signal = "traces" | "logs";
export type WireFormat = "protobuf" | "json";

export interface Decoded {
  /** Resources deduplicated by id; spans (traces) or logs (logs). */
  batch: Batch;
  /** Spans or log records present in the request (accepted + rejected here). */
  items: number;
  /**
   * Items refused while decoding, in the request's order, each with a reason naming the field and
   * its index in the request (its place among all the request's spans or log records, from 0).
   */
  rejected: { index: number; reason: string }[];
}

/** The body is not a decodable OTLP request; the message says what is wrong and where. */
export class OtlpDecodeError extends SyntaxError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OtlpDecodeError";
  }
}

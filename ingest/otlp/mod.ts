/**
 * OTLP request decoding: export requests for traces and logs, in protobuf or OTLP/JSON, into
 * Argus store rows; and the export responses.
 *
 * @module
 */
export { decodeRequest } from "./decode.ts";
export { encodeResponse } from "./response.ts";
export {
  type Decoded,
  type DecodeLimits,
  DEFAULT_DECODE_LIMITS,
  OtlpDecodeError,
  type Signal,
  type WireFormat,
} from "./types.ts";

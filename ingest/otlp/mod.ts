/**
 * OTLP request decoding: export requests for traces and logs, in protobuf or OTLP/JSON, into
 * Argus store rows; and the export responses.
 *
 * @module
 */
export { decodeRequest } from "./decode.ts";
export { encodeResponse } from "./response.ts";
export {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  type Decoded,
  OtlpDecodeError,
  type Signal,
  type WireFormat,
} from "./types.ts";

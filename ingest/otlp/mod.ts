/**
 * OTLP request decoding: export requests for traces, logs and metrics, in protobuf or OTLP/JSON,
 * into Argus store rows; and the export responses.
 *
 * @module
 */
export { decodeRequest } from "./decode.ts";
export { decodeMetricsRequest } from "./metrics_decode.ts";
export { encodeResponse, type ExportSignal } from "./response.ts";
export {
  type Decoded,
  type DecodeLimits,
  DEFAULT_DECODE_LIMITS,
  OtlpDecodeError,
  type Signal,
  type WireFormat,
} from "./types.ts";

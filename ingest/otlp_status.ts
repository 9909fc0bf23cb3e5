/**
 * `google.rpc.Status`, the body of OTLP/HTTP error answers (and the meaning of gRPC status codes
 * shared by both receivers).
 *
 * @module
 */
/** How the OTLP answer is encoded. */
type WireFormat = "protobuf" | "json";

/** The gRPC / google.rpc codes Argus answers with. */
export enum GrpcCode {
  OK = 0,
  INVALID_ARGUMENT = 3,
  NOT_FOUND = 5,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  UNAUTHENTICATED = 16,
}

/** Encodes `Status { code = 1; message = 2; }` as protobuf or as OTLP/JSON. */
export function encodeStatus(
  format: WireFormat,
  code: GrpcCode,
  message: string,
): Uint8Array<ArrayBuffer> {
  if (format === "json") return new TextEncoder().encode(JSON.stringify({ code, message }));
  const text = new TextEncoder().encode(message);
  const bytes: number[] = [];
  const varint = (value: number) => {
    while (value > 0x7f) {
      bytes.push((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    bytes.push(value);
  };
  if (code !== 0) {
    bytes.push(0x08); // field 1, varint
    varint(code);
  }
  if (text.length > 0) {
    bytes.push(0x12); // field 2, length-delimited
    varint(text.length);
  }
  const out = new Uint8Array(bytes.length + text.length);
  out.set(bytes);
  out.set(text, bytes.length);
  return out;
}

/** The Argus version, reported by `/api/health` and at start-up. */
export const VERSION = "0.1.0";

/**
 * The link to a service's page (`/services/{service}`, routes/pages/service.tsx), one place for
 * the page, the Service Map and the Dashboard that link to it.
 *
 * @module
 */

/** The page of `service`, with query parameters (a window's, a sort); empty values left out. */
export function serviceHref(
  service: string,
  params: Record<string, string | undefined> = {},
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(key, value);
  }
  const query = search.toString();
  return `/services/${encodeURIComponent(service)}${query === "" ? "" : `?${query}`}`;
}

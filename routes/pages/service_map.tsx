/**
 * `GET /service-map`: the Service Map (islands/ServiceMap.tsx), with its first data from the
 * functions behind `/api/metrics/service-map` and `/api/metadata/services`, for the URL's
 * `service` and `range`. A filter the API refuses shows the API's sentence on the page.
 *
 * @module
 */
import { Island } from "../../components/Island.tsx";
import ServiceMap, {
  type ServiceMapData,
  type ServiceMapFilters,
} from "../../islands/ServiceMap.tsx";
import { windowOf, windowParams } from "../../utils/time_window.ts";
import { serviceMap } from "../dashboards.ts";
import { latest, services } from "../metadata.ts";
import { BadRequestError } from "../http_error.ts";
import type { PageDef, PageDeps } from "./mod.ts";

/** The Service Map's data, as the island loads it from the API. */
export async function serviceMapData(
  deps: PageDeps,
  filters: ServiceMapFilters,
): Promise<ServiceMapData> {
  const params = new URLSearchParams(windowParams(filters));
  if (filters.service !== "") params.set("service", filters.service);
  const [map, names] = await Promise.all([
    serviceMap(params, deps),
    services(new URLSearchParams(windowParams(filters)), deps),
  ]);
  return { map, services: names.services };
}

export const serviceMapPage: PageDef = {
  path: "/service-map",
  active: "/service-map",
  async render(deps, url) {
    const filters: ServiceMapFilters = {
      service: url.searchParams.get("service") ?? "",
      ...windowOf(url),
    };
    const loadedAt = deps.now();
    let initial: ServiceMapData | null = null;
    let initialError: string | null = null;
    try {
      initial = await serviceMapData(deps, filters);
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      initialError = error.message;
    }
    return {
      title: "Service Map",
      body: (
        <Island
          name="ServiceMap"
          component={ServiceMap}
          props={{
            initial,
            initialError,
            filters,
            loadedAt,
            latest: initial !== null && initial.map.nodes.length === 0
              ? (await latest(deps)).latest_time
              : undefined,
          }}
        />
      ),
    };
  },
};

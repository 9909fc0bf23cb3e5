/**
 * `GET /logs`: the newest log records of the window (or the oldest, `order=asc`), filtered as the
 * URL says, with pages to older and newer records and a Live toggle that streams new ones
 * (islands/LogStream.tsx). The first page comes from `listLogs`, the function behind `/api/logs`,
 * so the page shows records before any JavaScript runs. A bad filter in the URL is shown on the
 * page, not answered as a JSON 400.
 *
 * @module
 */
import { Island } from "../../components/Island.tsx";
import { LOG_LIST_CSS } from "../../components/logs/log_styles.ts";
import LogStream, { type LogPage } from "../../islands/LogStream.tsx";
import { filtersFrom, hasFilters, listParams } from "../../utils/log_query.ts";
import { windowParams } from "../../utils/time_window.ts";
import { listLogs } from "../logs.ts";
import { latest, services } from "../metadata.ts";
import { BadRequestError } from "../http_error.ts";
import type { PageDef } from "./mod.ts";

/** Records of the first page, as the island asks `/api/logs` for on each refresh. */
export const LOGS_PAGE_LIMIT = 1000;

function searchParams(params: Record<string, string | number | null | undefined>) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  return search;
}

export const logsPage: PageDef = {
  path: "/logs",
  active: "/logs",
  async render(deps, url) {
    const filters = filtersFrom(url.searchParams);
    const fetchedAt = deps.now();
    const [page, serviceList] = await Promise.all([
      listLogs(searchParams(listParams(filters, LOGS_PAGE_LIMIT)), deps).then(
        (answer): { initial: LogPage; error: null } => ({ initial: answer, error: null }),
        (error: unknown) => {
          if (error instanceof BadRequestError) return { initial: null, error: error.message };
          throw error;
        },
      ),
      services(searchParams(windowParams(filters)), deps).then(
        (answer) => answer.services,
        (error: unknown) => {
          if (error instanceof BadRequestError) return [];
          throw error;
        },
      ),
    ]);
    return {
      title: "Logs",
      // The stylesheet is the page's, beside the island: the server sends it once, and it stays out
      // of the island's JavaScript.
      body: (
        <>
          <style dangerouslySetInnerHTML={{ __html: LOG_LIST_CSS }} />
          <Island
            name="LogStream"
            component={LogStream}
            props={{
              initial: page.initial,
              error: page.error,
              services: serviceList,
              filters,
              fetchedAt,
              limit: LOGS_PAGE_LIMIT,
              aiEnabled: deps.insight !== undefined,
              latest: page.initial?.items.length === 0 && !hasFilters(filters)
                ? (await latest(deps)).latest_time
                : undefined,
            }}
          />
        </>
      ),
    };
  },
};

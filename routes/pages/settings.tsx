/**
 * `GET /settings`: Argus's health, refreshed live, and the Danger Zone.
 *
 * @module
 */
import { Stack, Title } from "@mantine/core";
import { Island } from "../../components/Island.tsx";
import HealthPanel from "../../islands/HealthPanel.tsx";
import DangerZone from "../../islands/DangerZone.tsx";
import { health } from "../health.ts";
import type { PageDef } from "./mod.ts";

export const settingsPage: PageDef = {
  path: "/settings",
  active: "/settings",
  async render(deps) {
    const initial = await health(deps);
    return {
      title: "Settings",
      body: (
        <Stack gap="lg">
          <Title order={2}>Settings</Title>
          <Island name="HealthPanel" component={HealthPanel} props={{ initial }} />
          <Island
            name="DangerZone"
            component={DangerZone}
            props={{ driver: deps.store.driver, askAdminToken: Boolean(deps.security?.adminToken) }}
          />
        </Stack>
      ),
    };
  },
};

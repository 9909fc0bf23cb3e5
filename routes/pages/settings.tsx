/**
 * `GET /settings`: Argus's health, refreshed live, its configuration (`GET /api/settings`) and
 * the Danger Zone.
 *
 * @module
 */
import { Stack, Title } from "@mantine/core";
import { Island } from "../../components/Island.tsx";
import HealthPanel from "../../islands/HealthPanel.tsx";
import DangerZone from "../../islands/DangerZone.tsx";
import { health } from "../health.ts";
import { settings } from "../settings.ts";
import { SettingsConfig } from "../../components/SettingsConfig.tsx";
import type { PageDef } from "./mod.ts";

export const settingsPage: PageDef = {
  path: "/settings",
  active: "/settings",
  async render(deps) {
    const [initial, config] = await Promise.all([
      health(deps),
      settings({ config: deps.configSummary, store: deps.store }),
    ]);
    return {
      title: "Settings",
      body: (
        <Stack gap="lg">
          <Title order={2}>Settings</Title>
          <Island name="HealthPanel" component={HealthPanel} props={{ initial }} />
          <SettingsConfig settings={config} />
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

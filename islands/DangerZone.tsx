/**
 * The Settings page's Danger Zone: purge old data (by age and signal) and vacuum the database,
 * each behind a confirmation dialog that says exactly what will happen.
 *
 * @module
 */
import {
  Alert,
  Button,
  Card,
  Group,
  Modal,
  PasswordInput,
  Select,
  Stack,
  Text,
  Title,
} from "@mantine/core";
import { useState } from "preact/hooks";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { ApiError, apiUrl } from "../utils/api.ts";
import { formatBytes, formatCount, formatDuration, formatInstant } from "../utils/format.ts";
import { errorMessage } from "../utils/errors.ts";

export interface DangerZoneProps extends Record<string, unknown> {
  /** The database driver, named in the vacuum dialog. */
  driver: string;
  /**
   * ADMIN_TOKEN is set: the dialog asks for it and sends it as a Bearer token. It is kept in this
   * island's state only, for this one action (never stored, never in a cookie).
   */
  askAdminToken?: boolean;
}

const AGES = [
  { value: "1h", label: "1 hour" },
  { value: "6h", label: "6 hours" },
  { value: "24h", label: "24 hours" },
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
];
const SIGNALS = [
  { value: "logs", label: "Logs" },
  { value: "traces", label: "Traces (spans)" },
  { value: "all", label: "Logs and traces" },
];

const AGE_MS: Record<string, number> = {
  "1h": 3_600_000,
  "6h": 21_600_000,
  "24h": 86_400_000,
  "7d": 604_800_000,
  "30d": 2_592_000_000,
};

/** The cutoff as the server computes it (purgeCutoffNs): now minus the age, down to an hour. */
export function purgeCutoff(age: string, nowMs: number): Date {
  const cutoff = nowMs - (AGE_MS[age] ?? 0);
  return new Date(cutoff - (cutoff % 3_600_000));
}

function signalWords(signal: string): string {
  return signal === "all" ? "logs and spans" : signal === "traces" ? "spans" : "logs";
}

async function send(method: "DELETE" | "POST", path: string, params = {}, adminToken = "") {
  const headers: Record<string, string> = adminToken === ""
    ? {}
    : { authorization: `Bearer ${adminToken}` };
  const response = await fetch(apiUrl(path, params), { method, headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, body?.error ?? `HTTP ${response.status}`);
  }
  return body;
}

export default function DangerZone({ driver, askAdminToken = false }: DangerZoneProps) {
  const [age, setAge] = useState("24h");
  const [signal, setSignal] = useState("logs");
  const [confirming, setConfirming] = useState<"purge" | "vacuum" | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [adminToken, setAdminToken] = useState("");

  const run = async () => {
    const action = confirming;
    setBusy(true);
    try {
      if (action === "purge") {
        const body = await send(
          "DELETE",
          "/api/admin/purge",
          { older_than: age, signal },
          adminToken.trim(),
        );
        setResult({
          kind: "ok",
          text: `Deleted ${formatCount(body.deleted_logs)} logs and ${
            formatCount(body.deleted_spans)
          } spans older than ${formatInstant(body.cutoff_time)}.`,
        });
      } else if (action === "vacuum") {
        const body = await send("POST", "/api/admin/vacuum", {}, adminToken.trim());
        setResult({
          kind: "ok",
          text: `Vacuum done in ${formatDuration(body.duration_ms)}: ${
            formatBytes(body.size_before_bytes)
          } → ${formatBytes(body.size_after_bytes)}.${body.warning ? ` ${body.warning}` : ""}`,
        });
      }
    } catch (error) {
      setResult({ kind: "error", text: errorMessage(error) });
    } finally {
      setBusy(false);
      setConfirming(null);
      setAdminToken("");
    }
  };

  const cutoff = purgeCutoff(age, Date.now());
  return (
    <IslandProvider>
      <Card withBorder padding="lg" style={{ borderColor: "var(--mantine-color-red-3)" }}>
        <Title order={4} c="red">Danger Zone</Title>
        <Text size="sm" c="dimmed" mb="md">
          These actions cannot be undone. Ingest keeps running while they do.
        </Text>
        <Stack gap="lg">
          <Group align="end" gap="sm" wrap="wrap">
            <Select
              label="Delete"
              aria-label="Signal to purge"
              data={SIGNALS}
              value={signal}
              onChange={(value: string | null) => setSignal(value ?? "logs")}
              allowDeselect={false}
              w={200}
            />
            <Select
              label="Older than"
              aria-label="Age to purge"
              data={AGES}
              value={age}
              onChange={(value: string | null) => setAge(value ?? "24h")}
              allowDeselect={false}
              w={160}
            />
            <Button
              color="red"
              variant="light"
              onClick={() => setConfirming("purge")}
              data-action="purge"
            >
              Purge…
            </Button>
          </Group>
          <Group gap="sm">
            <Button variant="default" onClick={() => setConfirming("vacuum")} data-action="vacuum">
              Vacuum database…
            </Button>
            <Text size="sm" c="dimmed">Reclaims space and refreshes the {driver} statistics.</Text>
          </Group>
          {result && (
            <Alert color={result.kind === "ok" ? "teal" : "red"} data-result={result.kind}>
              {result.text}
            </Alert>
          )}
        </Stack>
      </Card>
      <Modal
        opened={confirming !== null}
        onClose={() => !busy && setConfirming(null)}
        title={confirming === "purge" ? "Delete old data?" : "Vacuum the database?"}
        closeButtonProps={{ "aria-label": "Close" }}
        centered
      >
        <Stack gap="md" data-confirm={confirming ?? ""}>
          {confirming === "purge"
            ? (
              <Text size="sm">
                This permanently deletes all <b>{signalWords(signal)}</b> older than{" "}
                <b>{AGES.find((a) => a.value === age)?.label}</b>, that is, from before{" "}
                <b>{formatInstant(cutoff.toISOString())}</b>, with their dashboard figures.
              </Text>
            )
            : (
              <Text size="sm">
                This compacts the {driver}{" "}
                database and refreshes its statistics. It may take a while on a large database; data
                sent meanwhile waits in the queue.
              </Text>
            )}
          {askAdminToken && (
            <PasswordInput
              label="Admin token"
              description="ADMIN_TOKEN, sent with this request only"
              value={adminToken}
              onChange={(event: Event) =>
                setAdminToken((event.currentTarget as HTMLInputElement).value)}
              autoComplete="off"
              data-field="admin-token"
            />
          )}
          <Group justify="end">
            <Button variant="default" onClick={() => setConfirming(null)} disabled={busy}>
              Cancel
            </Button>
            <Button
              color={confirming === "purge" ? "red" : "indigo"}
              onClick={run}
              loading={busy}
              disabled={askAdminToken && adminToken.trim() === ""}
              data-action="confirm"
            >
              {confirming === "purge" ? "Delete" : "Vacuum"}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </IslandProvider>
  );
}

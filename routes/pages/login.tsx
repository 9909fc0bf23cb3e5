/**
 * `GET /login`: the form that exchanges API_TOKEN for a session cookie (routes/login.ts). A plain
 * HTML form, no island: it works before, and without, any JavaScript.
 *
 * @module
 */
import {
  Alert,
  Box,
  Button,
  Card,
  Center,
  MantineProvider,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { renderToString } from "preact-render-to-string";
import { cssVariablesResolver, theme } from "../../components/theme.ts";
import { colorSchemeAttributes, ColorSchemeScript } from "../../components/Layout.tsx";
import type { ColorSchemeChoice } from "../../utils/color_scheme.ts";

export interface LoginPageProps {
  /** Where to go once logged in: a path of this server. */
  next: string;
  /** Why the last attempt failed, if it did. */
  error?: string;
  /** The remembered colour scheme choice (the request's cookie); default "auto". */
  colorScheme?: ColorSchemeChoice;
}

function LoginPage({ next, error, colorScheme = "auto" }: LoginPageProps) {
  return (
    <html lang="en" {...colorSchemeAttributes(colorScheme)}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Log in · Argus</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/mantine.css" />
        <link rel="stylesheet" href="/static/app.css" />
        <ColorSchemeScript />
      </head>
      <body>
        <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
          <Center mih="100vh" p="md">
            <Card withBorder padding="xl" w={380} shadow="sm">
              <form method="post" action="/login">
                <Stack gap="md">
                  <Box>
                    <Title order={3}>Argus</Title>
                    <Text size="sm" c="dimmed">
                      This Argus asks for its API token (API_TOKEN).
                    </Text>
                  </Box>
                  {error && <Alert color="red" data-login-error="">{error}</Alert>}
                  <input type="hidden" name="next" value={next} />
                  {/* Not PasswordInput: its show/hide button needs JavaScript, and this page has none. */}
                  <TextInput
                    type="password"
                    name="token"
                    label="API token"
                    autoComplete="current-password"
                    autoFocus
                    required
                  />
                  <Button type="submit" fullWidth>Log in</Button>
                </Stack>
              </form>
            </Card>
          </Center>
        </MantineProvider>
      </body>
    </html>
  );
}

/** The login page's HTML document; `status` is 401 after a failed attempt. */
export function renderLoginPage(props: LoginPageProps, status = 200): Response {
  return new Response(`<!DOCTYPE html>${renderToString(<LoginPage {...props} />)}`, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

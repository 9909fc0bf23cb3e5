// The colour scheme before the first paint: a blocking script in <head> (components/Layout.tsx).
// When the choice is "auto", the page shows the browser's preference, which the server, having
// rendered "light", cannot know. The attributes are utils/color_scheme.ts's; the client entry
// (routes/_assets.ts) keeps them up to date afterwards (the toggle, a change of preference).
(() => {
  const root = document.documentElement;
  if (
    root.getAttribute("data-argus-color-scheme") === "auto" &&
    matchMedia("(prefers-color-scheme: dark)").matches
  ) {
    root.setAttribute("data-mantine-color-scheme", "dark");
  }
})();

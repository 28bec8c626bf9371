// Copies the browser files Chorus serves into chorus/web/static/vendor/; the copies are committed,
// so running Chorus never needs Node.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "chorus", "web", "static", "vendor");

const files = {
  "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
  "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
  // The minified files name their source maps; ship them so browser dev tools do not log 404s.
  "bootstrap/dist/css/bootstrap.min.css.map": "bootstrap/bootstrap.min.css.map",
  "bootstrap/dist/js/bootstrap.bundle.min.js.map": "bootstrap/bootstrap.bundle.min.js.map",
  "alpinejs/dist/cdn.min.js": "alpinejs/alpine.min.js",
  "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
  "fullcalendar/index.global.min.js": "fullcalendar/index.global.min.js",
  "@fullcalendar/core/locales/ru.global.min.js": "fullcalendar/locales/ru.global.min.js",
  // Charts of the analytics pages (Apache-2.0: its LICENSE and NOTICE travel with it).
  "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
  "echarts/LICENSE": "echarts/LICENSE",
  "echarts/NOTICE": "echarts/NOTICE",
  // Emoji for the PDF reports (monochrome Noto Emoji, whole font; OFL-1.1, its licence travels with it):
  // WeasyPrint draws with the fonts it is given, and a server seldom has an emoji font of its own.
  "@fontsource/noto-emoji/files/noto-emoji-emoji-400-normal.woff": "noto-emoji/NotoEmoji-Regular.woff",
  "@fontsource/noto-emoji/LICENSE": "noto-emoji/LICENSE",
};

for (const [source, destination] of Object.entries(files)) {
  const to = join(target, destination);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(here, "node_modules", source), to);
  console.log(`${source} -> ${to}`);
}

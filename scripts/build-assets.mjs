// Build the citizen web's static files from GOV.UK Frontend (ADR 11).
//   npm ci && node scripts/build-assets.mjs     (or: make assets)
// Writes townsquare/ui/static/ui/{townsquare.css, govuk-frontend.min.js, assets-manifest.json}
// and Leaflet (ADR 50) under townsquare/ui/static/ui/leaflet/. Our own map script, map.js,
// is written by hand beside them and is not built.
// The manifest records a hash of the sources (our SCSS, the installed govuk-frontend and sass
// versions); tests/test_ui_assets.py fails when the committed CSS is older than its sources.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const scssDir = join(root, "townsquare/ui/assets/scss");
const outDir = join(root, "townsquare/ui/static/ui");
const govukDist = join(root, "node_modules/govuk-frontend/dist/govuk");

// The pinned versions in package.json are part of the sources; the installed ones must match.
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies;
function versionOf(name) {
  const installed = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
  if (installed !== pinned[name]) {
    throw new Error(`${name} ${installed} is installed but package.json pins ${pinned[name]}: run npm ci`);
  }
  return installed;
}

function scssFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? scssFiles(path) : name.endsWith(".scss") ? [path] : [];
  }).sort();
}

// Must match sources_hash() in tests/test_ui_assets.py.
export function sourcesHash(versions) {
  const hash = createHash("sha256");
  for (const file of scssFiles(scssDir)) {
    hash.update(relative(root, file).split("\\").join("/") + "\n");
    hash.update(readFileSync(file));
    hash.update("\n");
  }
  for (const [name, version] of Object.entries(versions)) hash.update(`${name}@${version}\n`);
  return hash.digest("hex");
}

const versions = {
  "govuk-frontend": versionOf("govuk-frontend"),
  leaflet: versionOf("leaflet"),
  sass: versionOf("sass"),
};
mkdirSync(outDir, { recursive: true });

const result = sass.compile(join(scssDir, "townsquare.scss"), {
  style: "compressed",
  loadPaths: [join(root, "node_modules")],
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "color-functions"],
});
if (/url\(/.test(result.css)) {
  // Every url() would need its file copied here; today the build needs none.
  throw new Error("townsquare.css references url(): copy the files it needs into static/ui");
}
writeFileSync(join(outDir, "townsquare.css"), result.css + "\n");
// Without its source map: Django's manifest storage would insist on finding the .map file.
const js = readFileSync(join(govukDist, "govuk-frontend.min.js"), "utf8")
  .replace(/\/\/# sourceMappingURL=\S+\s*$/, "");
writeFileSync(join(outDir, "govuk-frontend.min.js"), js.trimEnd() + "\n");

// Leaflet as its authors ship it, without source maps; its CSS names its images relatively,
// so they are copied beside it for collectstatic's manifest to find.
const leafletDist = join(root, "node_modules/leaflet/dist");
const leafletOut = join(outDir, "leaflet");
mkdirSync(join(leafletOut, "images"), { recursive: true });
writeFileSync(join(leafletOut, "leaflet.js"),
  readFileSync(join(leafletDist, "leaflet.js"), "utf8").replace(/\/\/# sourceMappingURL=\S+\s*$/, "").trimEnd() + "\n");
copyFileSync(join(leafletDist, "leaflet.css"), join(leafletOut, "leaflet.css"));
for (const image of readdirSync(join(leafletDist, "images"))) {
  copyFileSync(join(leafletDist, "images", image), join(leafletOut, "images", image));
}

const cssHash = createHash("sha256").update(result.css + "\n").digest("hex");
const manifest = {
  comment: "Written by scripts/build-assets.mjs (make assets). Do not edit.",
  versions,
  sources_sha256: sourcesHash(versions),
  css_sha256: cssHash,
};
writeFileSync(join(outDir, "assets-manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`townsquare.css ${result.css.length} bytes; govuk-frontend ${versions["govuk-frontend"]}; leaflet ${versions.leaflet}`);

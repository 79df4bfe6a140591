// Builds the viewer's decryptor: bundles decryptor.js and the npm libraries
// it imports (versions pinned by package-lock.json) into one minified
// script, and gathers the licence of every bundled package into NOTICES.txt,
// which every record.html carries. Run by the Makefile:
//
//	node generator/viewer/js/build.mjs OUTDIR
import { build } from "esbuild";
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const out = process.argv[2];
if (!out) throw new Error("usage: node build.mjs OUTDIR");

const result = await build({
  entryPoints: [join(here, "decryptor.js")],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "satchelDecryptor",
  target: ["es2020"],
  charset: "ascii",
  legalComments: "none", // the whole licences travel in NOTICES.txt instead
  metafile: true,
  write: false,
  absWorkingDir: root,
});

// Every package an input file came from, by its package.json.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (!m) continue;
  const dir = join(root, "node_modules", m[1]);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  packages.set(m[1], { version: pkg.version, license: pkg.license, text: readFileSync(join(dir, "LICENSE"), "utf8") });
}

let notices = "record.html carries software by others, under these licences.\n";
for (const [name, p] of [...packages].sort()) {
  notices += `\n== ${name} ${p.version} (${p.license})\n\n${p.text.trim()}\n`;
}
const script = result.outputFiles[0].text;
const write = (name, text) => {
  writeFileSync(join(out, name + ".tmp"), text);
  renameSync(join(out, name + ".tmp"), join(out, name));
};
write("decryptor.js", script);
write("NOTICES.txt", notices);
write("packages.json", JSON.stringify([...packages.keys()].sort()) + "\n");

// `npm run build`: the processes and their worker threads as ESM bundles in dist/, so that they
// start from JavaScript instead of transpiling some 560 modules through tsx at every start.
//   dist/cli.mjs          apps/cli/src/main.ts (`quiver`, `npm start`)
//   dist/coordinator.mjs  apps/coordinator/src/main.ts
//   dist/shard.mjs        apps/shard/src/main.ts
//   dist/<name>.mjs       every worker module named in a `workerEntry("./<name>.ts", import.meta.url)`
//                         (libs/threads/src/worker-url.ts finds it there when run from a bundle)
// Packages with native code stay external (node_modules). Skips the build when no input changed
// since the last one; `--force` builds anyway.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist");
const stampFile = join(outdir, "build-inputs.json");

const PROCESSES = {
  cli: "apps/cli/src/main.ts",
  coordinator: "apps/coordinator/src/main.ts",
  shard: "apps/shard/src/main.ts",
};

/** Source files of the apps and libs, tests and their support left out. */
function sources() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "test-support" && entry.name !== "node_modules") walk(path);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) files.push(path);
    }
  };
  for (const group of ["apps", "libs"])
    for (const project of readdirSync(join(root, group))) {
      const src = join(root, group, project, "src");
      if (existsSync(src)) walk(src);
    }
  return files;
}

/** The worker modules the sources start, by bundle name. */
function workerEntries() {
  const entries = {};
  const call = /workerEntry\(\s*"([^"]+)",\s*import\.meta\.url\s*\)/g;
  for (const file of sources())
    for (const [, path] of readFileSync(file, "utf8").matchAll(call)) {
      const source = relative(root, resolve(dirname(file), path));
      const name = basename(source, ".ts");
      if (name in PROCESSES || (entries[name] && entries[name] !== source))
        throw new Error(
          `build: two bundles would be dist/${name}.mjs (${source}, ${entries[name]})`,
        );
      entries[name] = source;
    }
  return entries;
}

/** Packages with native code (.node files) load from node_modules, not from a bundle. */
function nativePackages() {
  const modules = join(root, "node_modules");
  const names = readdirSync(modules).flatMap((name) =>
    name.startsWith("@") ? readdirSync(join(modules, name)).map((n) => `${name}/${n}`) : [name],
  );
  return names.filter(
    (name) =>
      existsSync(join(modules, name, "binding.gyp")) ||
      existsSync(join(modules, name, "prebuilds")),
  );
}

/** Whether every input of the last build is older than it, for the same entry points. */
function upToDate(entryPoints) {
  if (!existsSync(stampFile)) return false;
  const stamp = JSON.parse(readFileSync(stampFile, "utf8"));
  if (JSON.stringify(stamp.entryPoints) !== JSON.stringify(entryPoints)) return false;
  const built = statSync(stampFile).mtimeMs;
  // npm ci keeps the files' dates from the registry: the install itself is an input
  const inputs = [...stamp.inputs, "scripts/build.mjs", "node_modules/.package-lock.json"];
  const outputs = Object.keys(entryPoints).map((name) => `dist/${name}.mjs`);
  return (
    outputs.every((path) => existsSync(join(root, path))) &&
    inputs.every(
      (path) => existsSync(join(root, path)) && statSync(join(root, path)).mtimeMs < built,
    )
  );
}

const entryPoints = { ...PROCESSES, ...workerEntries() };
if (!process.argv.includes("--force") && upToDate(entryPoints)) process.exit(0);

const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: nativePackages(),
  // CommonJS dependencies inside an ES module still call require and read __dirname
  banner: {
    js: [
      'import { createRequire as __quiverCreateRequire } from "node:module";',
      'import { fileURLToPath as __quiverFileURLToPath } from "node:url";',
      "const require = __quiverCreateRequire(import.meta.url);",
      "const __filename = __quiverFileURLToPath(import.meta.url);",
      'const __dirname = __quiverFileURLToPath(new URL(".", import.meta.url));',
    ].join("\n"),
  },
  // error messages and logs that show class names keep them
  keepNames: true,
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
});
const inputs = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith("<"));
writeFileSync(stampFile, JSON.stringify({ entryPoints, inputs }, null, 1));
const ms = Date.now() - started;
console.error(
  `build: ${Object.keys(entryPoints).length} bundles in dist/ from ${inputs.length} modules (${ms} ms)`,
);

import { parseArgs } from "node:util";
import { loadFile } from "../load/load-file.js";

export const LOAD_USAGE = `usage: quiver load <library id or name> <file.fvecs|file.npy|file.jsonl>
  [--url http://127.0.0.1:8080] [--batch 1000] [--concurrency 4] [--id-prefix P]
Rows of .fvecs/.npy get their row number as id (after --id-prefix); JSON lines are
{"id", "vector", "metadata"}. An interrupted import resumes from its checkpoint.`;

export async function load(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string", default: process.env.QUIVER_URL ?? "http://127.0.0.1:8080" },
      batch: { type: "string", default: "1000" },
      concurrency: { type: "string", default: "4" },
      "id-prefix": { type: "string" },
    },
  });
  if (positionals.length !== 2) {
    console.error(LOAD_USAGE);
    process.exit(2);
  }
  const result = await loadFile({
    url: values.url,
    library: positionals[0],
    file: positionals[1],
    batchSize: Number(values.batch),
    concurrency: Number(values.concurrency),
    idPrefix: values["id-prefix"],
  });
  console.log(
    `loaded ${result.rows.toLocaleString("en")} vectors into ${result.libraryId} in ${result.seconds.toFixed(1)} s` +
      (result.resumedFrom ? ` (resumed at row ${result.resumedFrom.toLocaleString("en")})` : ""),
  );
}

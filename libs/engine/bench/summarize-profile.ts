// Prints where a V8 CPU profile (from node --cpu-prof) spends its time, by function:
//   node --import tsx bench/summarize-profile.ts /tmp/prof [top]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
}

const [dir = "/tmp/prof", top = "15"] = process.argv.slice(2);
const profiles = readdirSync(dir)
  .filter((f) => f.endsWith(".cpuprofile"))
  .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Profile);
if (profiles.length === 0) throw new Error(`no .cpuprofile in ${dir}`);

function selfTimes(p: Profile): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  for (const id of p.samples) {
    const frame = byId.get(id);
    const name =
      `${frame?.functionName || "(anonymous)"} ${frame?.url.split("/").at(-1) ?? ""}`.trim();
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  return self;
}

// tsx's loader thread writes a profile of its own, mostly idle: report the busiest one.
const idle = (p: Profile) => selfTimes(p).get("(idle)") ?? 0;
const busiest = profiles.sort((a, b) => idle(a) / a.samples.length - idle(b) / b.samples.length)[0];
for (const [name, count] of [...selfTimes(busiest)]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(top))) {
  console.log(`${((100 * count) / busiest.samples.length).toFixed(1).padStart(5)}%  ${name}`);
}

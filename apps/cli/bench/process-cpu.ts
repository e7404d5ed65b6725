// CPU time of server processes from /proc (Linux): what a request costs the server whatever else
// the shared machine runs, as a complement to wall-clock QPS.
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: the unit of /proc/<pid>/stat's utime and stime (100 on Linux). */
const TICKS_PER_S = 100;

/** utime + stime (fields 14 and 15) and ppid (field 4) of a /proc/<pid>/stat line. */
export function parseStat(line: string): { ppid: number; cpuTicks: number } {
  // the command (field 2) is in parentheses and may contain spaces
  const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

function stat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined; // gone
  }
}

/**
 * CPU ms used so far by `pid` and, with `children`, by its direct children alive now (e.g. a
 * postmaster and its backends). Worker threads count with their process.
 */
export function cpuMs(pid: number, children = false): number {
  let ticks = stat(pid)?.cpuTicks ?? 0;
  if (children) {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const s = stat(Number(entry));
      if (s && s.ppid === pid) ticks += s.cpuTicks;
    }
  }
  return (ticks * 1000) / TICKS_PER_S;
}

/** CPU ms of this process (the client), user + system. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

#!/usr/bin/env node
import { serve } from "./commands/serve.js";

const USAGE = `usage: quiver <command>

commands:
  serve     Quiver in one process (embedded log), on QUIVER_HOST:QUIVER_PORT (127.0.0.1:8080),
            data in QUIVER_DATA_DIR (./data)
`;

const [command] = process.argv.slice(2);
switch (command) {
  case "serve":
    await serve();
    break;
  case undefined:
  case "help":
  case "--help":
    process.stdout.write(USAGE);
    break;
  default:
    process.stderr.write(`quiver: unknown command ${command}\n${USAGE}`);
    process.exit(2);
}

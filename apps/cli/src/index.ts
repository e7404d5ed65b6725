// What other projects start Quiver with (the e2e tests): embedded mode in this process, or a
// local cluster of processes on a nats-server.
export type { ServeConfig } from "./config.js";
export { type Embedded, startEmbedded } from "./embedded.js";
export { type LocalCluster, type LocalClusterOptions, startLocalCluster } from "./local-cluster.js";

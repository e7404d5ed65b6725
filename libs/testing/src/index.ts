export { normalized, row, subset, type Dataset } from "./datasets/dataset.js";
export {
  DatasetMissingError,
  FASHION_MNIST_DIR,
  loadFashionMnist,
} from "./datasets/fashion-mnist.js";
export { CACHE_DIR, cachedU32 } from "./datasets/file-cache.js";
export { clusteredGaussian, type ClusteredOptions } from "./datasets/synthetic.js";
export { dockerAvailable, type ServerMode, serverMode } from "./servers/docker.js";
export { freePort } from "./servers/free-port.js";
export { type NatsServer, type NatsServerOptions, startNatsServer } from "./servers/nats-server.js";
export {
  type Prometheus,
  type PrometheusOptions,
  type ScrapeTarget,
  startPrometheus,
} from "./servers/prometheus.js";

import { defineApiSuite } from "./test-support/api-suite/api-suite.js";
import { startEmbeddedDeployment } from "./test-support/embedded-deployment.js";

defineApiSuite("embedded", () => startEmbeddedDeployment(3));

import { startEmbeddedDeployment } from "./test-support/embedded-deployment.js";
import { defineMigrationSuite } from "./test-support/migration-suite.js";

defineMigrationSuite("embedded", () => startEmbeddedDeployment(3));

// Test helpers the e2e project shares with this one's tests (seeded vectors, migration polling).
export { followMigration, isSorted } from "./migration-progress.js";
export { exactTopK, randomVectors } from "./vectors.js";

import { expect, it } from "vitest";
import type { ApiSuiteContext } from "./context.js";

/** What a deployment serves besides the v1 API: the OpenAPI document, health and metrics. */
export function defineServiceEndpointTests(suite: ApiSuiteContext): void {
  it("serves an OpenAPI document, health and metrics", async () => {
    const { deployment } = suite;
    const doc = (await (await fetch(`${deployment.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/libraries",
        "/v1/libraries/{id}/search",
        "/v1/libraries/{id}/quantization/probe",
      ]),
    );
    expect((await fetch(`${deployment.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${deployment.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${deployment.url}/metrics`)).text();
    expect(metrics).toContain("quiver_http_request_duration_seconds");
  });
}

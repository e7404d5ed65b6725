import { ApiError, type QuiverClient } from "@quiver/api";
import { expect } from "vitest";

/** A running Quiver that the suites drive over HTTP: embedded mode or a local cluster. */
export interface Deployment {
  url: string;
  /** Data partitions a library may have in this deployment. */
  maxPartitions: number;
  close(): Promise<void>;
}

/** The deployment the suite's tests run against and a client of it, set before the first test. */
export interface ApiSuiteContext {
  deployment: Deployment;
  client: QuiverClient;
}

/** What a caller can observe of the whole state: libraries and their vector counts. */
export async function observe(client: QuiverClient): Promise<string> {
  const libraries = await client.listLibraries();
  const counts = await Promise.all(libraries.map((l) => client.getLibrary(l.id)));
  return JSON.stringify(counts.map((l) => [l.id, l.name, l.num_vectors]));
}

/** The ApiError a request failed with; fails the test if it succeeded or failed otherwise. */
export async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the request should have failed").toBeInstanceOf(ApiError);
  return error as ApiError;
}

/** The ApiError a request failed with, checked for its status and (part of) its message. */
export async function expectApiError(
  promise: Promise<unknown>,
  status: number,
  fieldPart?: string,
): Promise<ApiError> {
  const failure = await apiError(promise);
  expect(failure.status).toBe(status);
  if (fieldPart) expect(failure.message).toContain(fieldPart);
  return failure;
}

import {
  ApiError,
  ApiErrorCode,
  invalidField,
  type LibraryResponse,
  type RecommendationQuery,
  type RecommendationResponse,
  resolveQuantization,
  type UpdateLibraryBody,
} from "@quiver/api";
import {
  CATALOG_PARTITION,
  effectiveQuantization,
  encodeEvent,
  type LibraryRecord,
} from "@quiver/events";
import { partitionsOf } from "../catalog/catalog.js";
import type { ServiceContext } from "../service/context.js";
import { libraryResponse } from "../service/library-service.js";
import { decisionView } from "../service/statistics-service.js";
import type { MigrationService } from "../service/migration-service.js";
import { type AdaptivePolicy, numericInputs } from "./adaptive-policy.js";
import { strategyName } from "./strategy-name.js";

/** GET .../quantization/recommendation and PATCH of an adaptive library's targets. */
export class RecommendationService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly policy: AdaptivePolicy,
    private readonly migrations: MigrationService,
  ) {}

  async recommend(
    library: LibraryRecord,
    query: RecommendationQuery,
  ): Promise<RecommendationResponse> {
    const { inputs, targets, decision } = await this.policy.evaluate(library, {
      ...(query.max_memory_gb !== undefined ? { maxMemoryBytes: query.max_memory_gb * 1e9 } : {}),
      ...(query.target_accuracy !== undefined ? { targetAccuracy: query.target_accuracy } : {}),
    });
    const q = library.quantization;
    const last = this.ctx.catalog.lastDecision(library.libraryId);
    return {
      library_id: library.libraryId,
      strategy: q.strategy,
      current: strategyName(effectiveQuantization(q)),
      recommended: strategyName(decision.to),
      recommended_config: decision.to as unknown as Record<string, unknown>,
      change: decision.change,
      reason: decision.reason,
      auto_tune: q.strategy === "adaptive" && q.auto_tune,
      targets: {
        max_memory_gb: targets.maxMemoryBytes / 1e9,
        target_accuracy: targets.targetAccuracy,
      },
      inputs: numericInputs(inputs, decision),
      last_decision: last ? decisionView(last) : null,
    };
  }

  /** New targets for an adaptive library: recorded at once, no rebuild (the policy acts next). */
  async updateTargets(library: LibraryRecord, body: UpdateLibraryBody): Promise<LibraryResponse> {
    const q = library.quantization;
    const next = resolveQuantization(body.quantization_config, library.dimension);
    if (q.strategy !== "adaptive" || next.strategy !== "adaptive") {
      throw invalidField(
        "quantization_config.strategy",
        "only an adaptive library's targets change in place; use POST /v1/libraries/{id}/quantization/migrate for another strategy",
        ApiErrorCode.InvalidConfig,
      );
    }
    const active = this.migrations.active(library.libraryId);
    if (active) {
      throw new ApiError(
        ApiErrorCode.MigrationConflict,
        `migration ${active.migrationId} is in progress: change the targets when it has finished`,
        { migration_id: active.migrationId },
      );
    }
    const quantization = { ...next, current: q.current };
    const data = encodeEvent({
      type: "library.config_changed",
      libraryId: library.libraryId,
      quantization,
    });
    const key = `config:${library.libraryId}:${Date.now()}`;
    await Promise.all(
      Array.from({ length: partitionsOf(library) }, (_, p) =>
        this.ctx.log.append(p, data, `${key}:${p}`),
      ),
    );
    const { seq } = await this.ctx.log.append(CATALOG_PARTITION, data, key);
    await this.ctx.catalog.waitFor(seq, 10_000);
    return libraryResponse(this.ctx.catalog.get(library.libraryId) ?? { ...library, quantization });
  }
}

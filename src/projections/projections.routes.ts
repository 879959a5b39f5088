import { requireAdmin } from '../api/auth';
import { jsonResponse, problemResponses, schemaRef } from '../api/openapi';
import type { RouteModule } from '../api/route-module';
import type { ConsumerStatus } from '../consumers';

export interface ProjectionAdminDeps {
  /** Every consumer of the database, wherever it runs (`readConsumerStatuses`). */
  consumerStatuses: () => Promise<ConsumerStatus[]>;
}

/** Lag is counted up to this many events: enough to tell a backlog, cheap to count. */
export const LAG_CAP = 100_000;

/** A projection's status as the API shows it. */
export function projectionJson(s: ConsumerStatus) {
  return {
    name: s.name,
    state: s.state,
    position: Number(s.checkpoint),
    head_position: Number(s.headPosition),
    lag: s.lag,
    parked: s.parkedCount,
    stuck: s.stuck,
    last_error: s.lastError ?? null,
  };
}

/**
 * `GET /admin/projections` (admin): every read model's projection as its leader last
 * recorded it, wherever it runs: where its checkpoint is, how many matching events it has
 * still to apply, its state, its parked events, and whether it is stuck. Reactors (the saga,
 * the inventory reactions) are not projections and are left out.
 */
export function projectionAdminRoutes(deps: ProjectionAdminDeps): RouteModule {
  return {
    name: 'projections',
    register(router) {
      router.get('/admin/projections', requireAdmin, async (ctx) => {
        const statuses = await deps.consumerStatuses();
        ctx.body = {
          items: statuses.filter((s) => s.kind === 'projection').map(projectionJson),
        };
      });
    },
    openapi: {
      '/admin/projections': {
        get: {
          summary: "Every projection's position, lag and state (admin)",
          security: [{ bearerAuth: [] }],
          responses: {
            '200': jsonResponse('The projections, by name', schemaRef('ProjectionList')),
            ...problemResponses(401, 403),
          },
        },
      },
    },
    schemas: {
      ProjectionStatus: {
        type: 'object',
        required: [
          'name',
          'state',
          'position',
          'head_position',
          'lag',
          'parked',
          'stuck',
          'last_error',
        ],
        properties: {
          name: { type: 'string' },
          state: {
            type: 'string',
            enum: ['starting', 'standby', 'catching_up', 'live', 'retrying', 'stopped'],
            description: "As its leader recorded it; 'stopped' when no process leads it",
          },
          position: {
            type: 'integer',
            description: 'Global position of its checkpoint: every event up to it is applied',
          },
          head_position: { type: 'integer', description: 'Global position of the newest event' },
          lag: {
            type: 'integer',
            description: `Matching events after the checkpoint, counted up to ${LAG_CAP}`,
          },
          parked: { type: 'integer', description: 'Events parked after their last attempt' },
          stuck: {
            type: 'boolean',
            description: 'Retrying one event, or making no progress with work pending, too long',
          },
          last_error: { type: ['string', 'null'] },
        },
      },
      ProjectionList: {
        type: 'object',
        required: ['items'],
        properties: { items: { type: 'array', items: schemaRef('ProjectionStatus') } },
      },
    },
  };
}

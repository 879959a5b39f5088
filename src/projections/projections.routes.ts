import { requireAdmin } from '../api/auth';
import { jsonResponse, problemResponses, schemaRef } from '../api/openapi';
import { conflict, notFound } from '../api/problem';
import type { RouteModule } from '../api/route-module';
import type { ConsumerStatus } from '../consumers';
import type { ProjectionDefinition } from './projection';
import { RebuildRefused, type ProjectionRebuilds, type RebuildStatus } from './rebuild';

export interface ProjectionAdminDeps {
  /** Every consumer of the database, wherever it runs (`readConsumerStatuses`). */
  consumerStatuses: () => Promise<ConsumerStatus[]>;
  /** The read models a rebuild may be asked for, by name. */
  projections: readonly ProjectionDefinition[];
  rebuilds: ProjectionRebuilds;
  /** Every projection's last rebuild, wherever it ran (`readRebuildStatuses`). */
  rebuildStatuses: () => Promise<Map<string, RebuildStatus>>;
}

/** Lag is counted up to this many events: enough to tell a backlog, cheap to count. */
export const LAG_CAP = 100_000;

const rebuildJson = (r: RebuildStatus | undefined) =>
  r === undefined
    ? null
    : {
        state: r.state,
        replayed: r.replayed,
        started_at: r.startedAt.toISOString(),
        finished_at: r.finishedAt?.toISOString() ?? null,
        error: r.error,
      };

/** A projection's status as the API shows it. */
export function projectionJson(s: ConsumerStatus, rebuild?: RebuildStatus) {
  return {
    name: s.name,
    state: s.state,
    position: Number(s.checkpoint),
    head_position: Number(s.headPosition),
    lag: s.lag,
    parked: s.parkedCount,
    stuck: s.stuck,
    last_error: s.lastError ?? null,
    rebuild: rebuildJson(rebuild),
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
        const [statuses, rebuilds] = await Promise.all([
          deps.consumerStatuses(),
          deps.rebuildStatuses(),
        ]);
        ctx.body = {
          items: statuses
            .filter((s) => s.kind === 'projection')
            .map((s) => projectionJson(s, rebuilds.get(s.name))),
        };
      });
      router.post('/admin/projections/:name/rebuild', requireAdmin, async (ctx) => {
        const projection = deps.projections.find((p) => p.name === ctx.params.name);
        if (!projection) throw notFound('No projection of that name');
        try {
          const status = await deps.rebuilds.start(projection);
          ctx.status = 202;
          ctx.body = { name: projection.name, rebuild: rebuildJson(status) };
        } catch (error) {
          if (!(error instanceof RebuildRefused)) throw error;
          throw conflict(
            error.reason === 'running' ? 'rebuild_running' : 'parked_events',
            error.message,
          );
        }
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
      '/admin/projections/{name}/rebuild': {
        post: {
          summary: 'Rebuild a projection by replaying the events, without downtime (admin)',
          description:
            'Builds the read model again in tables of its own from the first event, while the ' +
            'live tables keep serving and the projection keeps them current, then swaps the ' +
            'new tables in, in one short transaction. Runs in the background: follow it in ' +
            'GET /admin/projections (`rebuild`). 409 `rebuild_running` when one runs; 409 ' +
            '`parked_events` while the projection has parked events.',
          security: [{ bearerAuth: [] }],
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '202': jsonResponse('The rebuild started', schemaRef('ProjectionRebuildStarted')),
            ...problemResponses(401, 403, 404, 409),
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
          'rebuild',
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
          rebuild: {
            oneOf: [{ type: 'null' }, schemaRef('ProjectionRebuild')],
            description: 'The last rebuild, whichever process ran it; null if none ever ran',
          },
        },
      },
      ProjectionRebuild: {
        type: 'object',
        required: ['state', 'replayed', 'started_at', 'finished_at', 'error'],
        properties: {
          state: {
            type: 'string',
            enum: ['running', 'done', 'failed', 'interrupted'],
            description: "'interrupted': the process running it stopped before it finished",
          },
          replayed: { type: 'integer', description: 'Events applied to the new tables so far' },
          started_at: { type: 'string', format: 'date-time' },
          finished_at: { type: ['string', 'null'], format: 'date-time' },
          error: { type: ['string', 'null'] },
        },
      },
      ProjectionRebuildStarted: {
        type: 'object',
        required: ['name', 'rebuild'],
        properties: { name: { type: 'string' }, rebuild: schemaRef('ProjectionRebuild') },
      },
      ProjectionList: {
        type: 'object',
        required: ['items'],
        properties: { items: { type: 'array', items: schemaRef('ProjectionStatus') } },
      },
    },
  };
}

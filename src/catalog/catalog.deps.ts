import type { Pool } from 'pg';
import type { AppContext } from '../api/auth';
import type { CommandMetadata } from '../commands/command-handler';
import type { EventStore } from '../eventstore';
import type { AwaitProjections } from '../projections/read-your-writes';

/** What the catalog and inventory routes need, built once in `main.ts`. */
export interface CatalogApiDeps {
  store: EventStore;
  /** Read models, the claims table and the checkpoints. */
  pool: Pool;
  /** A new product's reorder threshold when the request names none (LOW_STOCK_THRESHOLD). */
  lowStockThreshold: number;
  /** Read-your-writes: `readYourWrites(pool, { logger })` from `src/projections`. */
  awaitProjections: AwaitProjections;
}

/** Who asked: the caller and the request id go into every event's metadata. */
export const metadataOf = (ctx: AppContext): CommandMetadata => ({
  correlationId: ctx.state.requestId,
  ...(ctx.state.user && { userId: ctx.state.user.id }),
});

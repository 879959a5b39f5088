import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { MigrationSet } from '../infra/migrations';

/**
 * Uniqueness across products: a live product's SKU and its name (both case-insensitively)
 * belong to no other live product. A stream cannot see its neighbours, so the command layer
 * keeps a claims table whose primary key is the unique index: a product claims its keys
 * *before* the append that makes them its own, and releases them only *after* the append
 * that stops using them (a rename, a new SKU, a deletion). So at every moment each live
 * product's current keys are claimed by it.
 *
 * Crash safety. A process can die between the claim and the append (a claim for a product
 * that never came to be), or between the append and the release (a claim a product no longer
 * uses). Such a claim is stale, and may be taken over: the claimant reads the owner's stream
 * and takes the claim when the owner does not exist, is deleted, or no longer has that key.
 * An owner in mid-command must not be judged so (its append may be a millisecond away), so
 * every command that writes a product holds a PostgreSQL session lock on the product's id
 * from its first claim to its last release (`withProductLock`), and a takeover first tries
 * that lock: held means in flight (the key counts as taken); free means the owner's stream
 * says all there is. A crashed process's session ends, and its locks with it.
 */
export const catalogClaimsMigrations: MigrationSet = {
  component: 'catalog-claims',
  migrations: [
    {
      version: 1,
      name: 'sku and name claims',
      sql: `
CREATE TABLE catalog_claims (
  kind text NOT NULL CHECK (kind IN ('sku', 'name')),
  key text NOT NULL,
  product_id uuid NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, key)
);
CREATE INDEX catalog_claims_product_idx ON catalog_claims (product_id);
`,
    },
  ],
};

export interface Claim {
  kind: 'sku' | 'name';
  key: string;
}

/** SKUs compare trimmed and case-insensitively. */
export const skuClaim = (sku: string): Claim => ({ kind: 'sku', key: sku.trim().toUpperCase() });
/** Product names compare trimmed and case-insensitively. */
export const nameClaim = (name: string): Claim => ({
  kind: 'name',
  key: name.trim().toLowerCase(),
});

/** Whether the owner of a claim, as its stream tells, still uses the claimed key. */
export type StillUses = (productId: string, claim: Claim) => Promise<boolean>;

/** The claims of one product, usable while its lock is held. */
export interface ProductClaims {
  /**
   * Claims every key for the product, or none: the first key another product holds comes
   * back (and what this call had claimed is released). A key the product holds already is
   * fine; a stale one is taken over.
   */
  claim(claims: readonly Claim[]): Promise<Claim | undefined>;
  release(claims: readonly Claim[]): Promise<void>;
  releaseAll(): Promise<void>;
}

/**
 * Runs `work` holding the product's session lock on a dedicated connection: commands on one
 * product run one at a time, and a takeover can tell an owner in flight from a dead one.
 */
export async function withProductLock<T>(
  pool: Pool,
  productId: string,
  stillUses: StillUses,
  work: (claims: ProductClaims) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [productLockKey(productId)]);
    try {
      return await work(productClaims(client, productId, stillUses));
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1::bigint)', [productLockKey(productId)])
        .catch((error: Error) => {
          broken = error; // the session (and with it the lock) is discarded below
        });
    }
  } finally {
    client.release(broken);
  }
}

function productClaims(db: PoolClient, productId: string, stillUses: StillUses): ProductClaims {
  const release = async (claims: readonly Claim[]): Promise<void> => {
    if (claims.length === 0) return;
    await db.query(
      `DELETE FROM catalog_claims c USING unnest($2::text[], $3::text[]) AS r(kind, key)
        WHERE c.product_id = $1 AND c.kind = r.kind AND c.key = r.key`,
      [productId, claims.map((c) => c.kind), claims.map((c) => c.key)],
    );
  };

  /** Takes over `claim` from `owner` when the owner is not in flight and no longer uses it. */
  const takeOver = async (claim: Claim, owner: string): Promise<boolean> => {
    const key = productLockKey(owner);
    const { rows } = await db.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [key],
    );
    if (!rows[0]?.locked) return false;
    try {
      if (await stillUses(owner, claim)) return false;
      const moved = await db.query(
        `UPDATE catalog_claims SET product_id = $4, claimed_at = now()
          WHERE kind = $1 AND key = $2 AND product_id = $3`,
        [claim.kind, claim.key, owner, productId],
      );
      return moved.rowCount === 1;
    } finally {
      await db.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
  };

  const claimOne = async (claim: Claim): Promise<'new' | 'held' | 'taken'> => {
    // A few rounds: the owner seen by the SELECT may release between the two statements.
    for (let round = 0; round < 3; round++) {
      const inserted = await db.query(
        `INSERT INTO catalog_claims (kind, key, product_id) VALUES ($1, $2, $3)
         ON CONFLICT (kind, key) DO NOTHING`,
        [claim.kind, claim.key, productId],
      );
      if (inserted.rowCount === 1) return 'new';
      const { rows } = await db.query<{ product_id: string }>(
        'SELECT product_id FROM catalog_claims WHERE kind = $1 AND key = $2',
        [claim.kind, claim.key],
      );
      const owner = rows[0]?.product_id;
      if (owner === undefined) continue;
      if (owner === productId) return 'held';
      return (await takeOver(claim, owner)) ? 'new' : 'taken';
    }
    return 'taken';
  };

  return {
    async claim(claims) {
      const claimed: Claim[] = [];
      for (const claim of claims) {
        const outcome = await claimOne(claim);
        if (outcome === 'taken') {
          await release(claimed);
          return claim;
        }
        if (outcome === 'new') claimed.push(claim);
      }
      return undefined;
    },
    release,
    async releaseAll() {
      await db.query('DELETE FROM catalog_claims WHERE product_id = $1', [productId]);
    },
  };
}

/** The product's session lock key: 64 bits of a hash, in a namespace of its own. */
export function productLockKey(productId: string): string {
  const hash = createHash('sha256').update(`orderflow.product:${productId}`).digest();
  return hash.readBigInt64BE(0).toString();
}

import * as E from 'fp-ts/Either';
import type { CategoryError } from '../domain/catalog/category.decider';
import { categoryDecider, categoryKey } from '../domain/catalog/category.decider';
import { categoryStream } from '../domain/catalog/category.events';
import type { EventStore } from '../eventstore';
import { handleCommand, uuidV5, type CommandMetadata } from './command-handler';

/** Namespace of category ids (a random v4, fixed forever: changing it changes every id). */
const CATEGORY_ID_NAMESPACE = '81d781e8-b8a1-4ef3-b61d-7f9c2641395c';

/**
 * A category's id: a name-based UUID of its case-insensitive name. Two requests creating
 * "Books" and "books" append to the same stream, and the stream's expected revision lets one
 * of them win: no table of names is needed, and a replay keeps every category.
 */
export const categoryIdFor = (name: string): string =>
  uuidV5(CATEGORY_ID_NAMESPACE, categoryKey(name));

export interface CategoryWrite {
  categoryId: string;
  /** Global position of the append, for read-your-writes. */
  position: bigint;
}

/** `POST /categories`: a new category; its name taken (any case) is `CATEGORY_ALREADY_EXISTS`. */
export async function createCategory(
  store: EventStore,
  input: { name: string; description: string | null },
  metadata: CommandMetadata = {},
): Promise<E.Either<CategoryError, CategoryWrite>> {
  const categoryId = categoryIdFor(input.name);
  const result = await handleCommand(store, categoryDecider, {
    streamName: categoryStream(categoryId),
    command: { type: 'CreateCategory', categoryId, ...input, now: new Date().toISOString() },
    metadata,
  });
  return E.map(({ position }: { position: bigint }) => ({ categoryId, position }))(result);
}

/**
 * The categories a product names, each created when unknown, as their recorded spellings
 * ("books" joins an existing "Books"). The names must be normalized already (no blanks, no
 * case-insensitive repeats). Creating is idempotent, so a retry after a failure is harmless.
 */
export async function ensureCategories(
  store: EventStore,
  names: readonly string[],
  metadata: CommandMetadata = {},
): Promise<{ names: string[]; position: bigint }> {
  const spelled: string[] = [];
  let position = 0n;
  for (const name of names) {
    const created = await createCategory(store, { name, description: null }, metadata);
    if (E.isRight(created)) {
      spelled.push(name.trim());
      if (created.right.position > position) position = created.right.position;
    } else if (created.left.code === 'CATEGORY_ALREADY_EXISTS') {
      spelled.push(created.left.name);
    } else {
      // Blank names were filtered out by normalization: any other refusal is a bug.
      throw new Error(`category '${name}' could not be created: ${created.left.code}`);
    }
  }
  return { names: spelled, position };
}

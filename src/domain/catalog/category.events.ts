import * as t from 'io-ts';

/**
 * Events of a `category-{categoryId}` stream. A category's id derives from its name compared
 * case-insensitively (see the command layer), so the stream itself is what keeps two
 * categories from sharing a name, and a replay of the events rebuilds every category.
 */
export const CategoryCreated = t.type({
  type: t.literal('CategoryCreated'),
  data: t.type({
    categoryId: t.string,
    name: t.string,
    description: t.union([t.string, t.null]),
    at: t.string,
  }),
});

export const CategoryEvent = CategoryCreated;
export type CategoryEvent = t.TypeOf<typeof CategoryEvent>;

export const categoryStream = (categoryId: string): string => `category-${categoryId}`;

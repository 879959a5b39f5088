import * as E from 'fp-ts/Either';
import { assertNever, type Decider } from '../decider';
import type { CategoryEvent } from './category.events';

/** A product category: a name (unique case-insensitively) and an optional description. */
export type CategoryCommand = {
  type: 'CreateCategory';
  categoryId: string;
  name: string;
  description: string | null;
  now: string;
};

export type CategoryError =
  | { code: 'CATEGORY_ALREADY_EXISTS'; categoryId: string; name: string }
  | { code: 'INVALID_CATEGORY_NAME' };

export interface CategoryState {
  exists: boolean;
  categoryId: string;
  name: string;
  description: string | null;
}

export const initialCategoryState: CategoryState = {
  exists: false,
  categoryId: '',
  name: '',
  description: null,
};

export function decideCategory(
  cmd: CategoryCommand,
  s: CategoryState,
): E.Either<CategoryError, readonly CategoryEvent[]> {
  switch (cmd.type) {
    case 'CreateCategory': {
      // The error carries the existing spelling: a product naming "books" joins "Books".
      if (s.exists)
        return E.left({ code: 'CATEGORY_ALREADY_EXISTS', categoryId: s.categoryId, name: s.name });
      const name = cmd.name.trim();
      if (name === '') return E.left({ code: 'INVALID_CATEGORY_NAME' });
      const description = cmd.description?.trim() || null;
      return E.right([
        {
          type: 'CategoryCreated',
          data: { categoryId: cmd.categoryId, name, description, at: cmd.now },
        },
      ]);
    }
    default:
      return assertNever(cmd.type);
  }
}

export function evolveCategory(s: CategoryState, e: CategoryEvent): CategoryState {
  switch (e.type) {
    case 'CategoryCreated': {
      const { categoryId, name, description } = e.data;
      return { ...s, exists: true, categoryId, name, description };
    }
    default:
      return assertNever(e.type);
  }
}

export const categoryDecider: Decider<
  CategoryCommand,
  CategoryEvent,
  CategoryState,
  CategoryError
> = {
  decide: decideCategory,
  evolve: evolveCategory,
  initialState: initialCategoryState,
};

/** How category names compare: trimmed, case-insensitively ("Books" and " books" are one). */
export const categoryKey = (name: string): string => name.trim().toLowerCase();

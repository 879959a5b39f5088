import {
  categoryDecider,
  categoryKey,
  type CategoryCommand,
} from '../../src/domain/catalog/category.decider';
import type { CategoryEvent } from '../../src/domain/catalog/category.events';
import { spec } from '../support/decider-spec';

const categoryId = 'c-1';
const now = '2026-11-21T10:00:00.000Z';
const category = spec(categoryDecider);

const create = (name: string, description: string | null = null): CategoryCommand => ({
  type: 'CreateCategory',
  categoryId,
  name,
  description,
  now,
});
const created = (name: string, description: string | null = null): CategoryEvent => ({
  type: 'CategoryCreated',
  data: { categoryId, name, description, at: now },
});

describe('category decider', () => {
  it('creates a category with its name and description trimmed', () => {
    category.when(create(' Books ', ' Paper ')).then([created('Books', 'Paper')]);
    category.when(create('Books', '   ')).then([created('Books')]);
  });

  it('refuses a second creation, naming the spelling that exists', () => {
    category
      .given([created('Books')])
      .when(create('BOOKS'))
      .thenFails('CATEGORY_ALREADY_EXISTS', { name: 'Books', categoryId });
  });

  it('refuses a blank name', () => {
    category.when(create('  ')).thenFails('INVALID_CATEGORY_NAME');
  });

  it('compares names trimmed and case-insensitively', () => {
    expect(categoryKey(' Books ')).toBe(categoryKey('BOOKS'));
    expect(categoryKey('Books')).not.toBe(categoryKey('Book'));
  });
});

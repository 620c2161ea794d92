/**
 * What orders promises other systems about its catalog's categories (seed 003): contract
 * types of their own, apart from the internal events in ../catalog/events.ts, with the
 * mapping from each. The internal events may be refactored; only these mappings follow,
 * and `pnpm schema-check` guards the contract types themselves.
 */
import { defineEvent, publish } from '@eventloom/core';
import { z } from 'zod';
import { CategoryCreated as CategoryCreatedEvent, CategoryRenamed as CategoryRenamedEvent } from '../catalog/events.ts';

const categoryId = z.number().int().positive();
const name = z.string().min(1);

export const CategoryCreated = defineEvent('CategoryCreated', { schema: z.object({ categoryId, name }) });
export const CategoryRenamed = defineEvent('CategoryRenamed', { schema: z.object({ categoryId, name, previousName: name }) });

export type CategoryCreatedData = z.infer<typeof CategoryCreated.schema>;
export type CategoryRenamedData = z.infer<typeof CategoryRenamed.schema>;

const categoryLink = (data: { categoryId: number }) => `/categories/${data.categoryId}`;

export const categoryCreatedContract = publish(CategoryCreated, {
  from: CategoryCreatedEvent,
  map: ({ categoryId, name }) => ({ categoryId, name }),
  style: 'state',
  link: categoryLink,
  description: 'A category and its name.',
});

export const categoryRenamedContract = publish(CategoryRenamed, {
  from: CategoryRenamedEvent,
  map: ({ categoryId, name, previousName }) => ({ categoryId, name, previousName }),
  style: 'state',
  link: categoryLink,
  description: 'A category’s new name.',
});

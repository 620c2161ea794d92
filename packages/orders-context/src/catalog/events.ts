import { defineEvent } from '@eventloom/core';
import { z } from 'zod';

const categoryId = z.number().int().positive();
const name = z.string().min(1);

export const CategoryCreated = defineEvent('CategoryCreated', {
  schema: z.object({ categoryId, name }),
  description: 'A movie category exists from now on.',
});

export const CategoryRenamed = defineEvent('CategoryRenamed', {
  schema: z.object({ categoryId, name, previousName: name }),
  description: 'A category got a new name.',
});

export const CategoryDeleted = defineEvent('CategoryDeleted', {
  schema: z.object({ categoryId, name }),
  description: 'A category (with no movies in it) was removed.',
});

export const MovieListed = defineEvent('MovieListed', {
  schema: z.object({
    movieId: z.number().int().positive(),
    title: name,
    priceCents: z.number().int().positive(),
    categoryId,
    year: z.number().int().min(1880).max(2100),
  }),
  description: 'A movie is in the catalog, with its price and category.',
});

export type CategoryCreatedData = z.infer<typeof CategoryCreated.schema>;
export type CategoryRenamedData = z.infer<typeof CategoryRenamed.schema>;
export type CategoryDeletedData = z.infer<typeof CategoryDeleted.schema>;
export type MovieListedData = z.infer<typeof MovieListed.schema>;

export const catalogEvents = [CategoryCreated, CategoryRenamed, CategoryDeleted, MovieListed];

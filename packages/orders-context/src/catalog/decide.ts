import { defineAggregate, problems, type EventEnvelope, type NewEvent } from '@eventloom/core';
import { z } from 'zod';
import { CategoryCreated, CategoryDeleted, CategoryRenamed, MovieListed, type MovieListedData } from './events.ts';

/** The whole catalog is one stream: category names stay unique and ids are handed out in order. */
export const catalogStream = 'catalog';

export const categoryId = z.coerce.number('the category id is a number').int('the category id is a whole number').positive('the category id is positive').max(999_999);

const categoryNamePattern = /^[\p{L}\p{N}][\p{L}\p{N} &'.,-]*$/u;

export const categoryName = z
  .string()
  .trim()
  .min(1, 'a category needs a name')
  .max(40, 'a category name has at most 40 characters')
  .regex(categoryNamePattern, "use letters, digits, spaces and & ' . , -")
  // The OpenAPI generator writes a regex with flags as `…$/u`, which matches nothing; JSON
  // Schema patterns are read with Unicode semantics anyway, so the bare source says it.
  .meta({ pattern: categoryNamePattern.source });

const movie = z
  .object({
    movieId: z.number().int().positive(),
    title: z.string().trim().min(1).max(120),
    priceCents: z.number().int().positive().max(1_000_000),
    categoryId: z.number().int().positive(),
    year: z.number().int().min(1880).max(2100),
  })
  .strict();

export interface CatalogState {
  /** Category id → name. */
  categories: Record<string, string>;
  nextCategoryId: number;
  /** Movie id → its category id. */
  movies: Record<string, number>;
  /** Category id → how many movies are in it. */
  moviesIn: Record<string, number>;
}

const sameName = (a: string, b: string) => a.localeCompare(b, 'en', { sensitivity: 'accent' }) === 0;

function nameTaken(state: CatalogState, name: string, except?: number): boolean {
  return Object.entries(state.categories).some(([id, existing]) => Number(id) !== except && sameName(existing, name));
}

function existing(state: CatalogState, id: number): string {
  const name = state.categories[id];
  if (name === undefined) throw problems.notFound(`There is no category ${id}.`);
  return name;
}

export const catalog = defineAggregate({
  name: 'catalog',
  initialState: (): CatalogState => ({ categories: {}, nextCategoryId: 1, movies: {}, moviesIn: {} }),
  evolve: (state: CatalogState, event: EventEnvelope): CatalogState => {
    switch (event.type) {
      case CategoryCreated.type: {
        const { categoryId: id, name } = event.data as { categoryId: number; name: string };
        return { ...state, categories: { ...state.categories, [id]: name }, nextCategoryId: Math.max(state.nextCategoryId, id + 1) };
      }
      case CategoryRenamed.type: {
        const { categoryId: id, name } = event.data as { categoryId: number; name: string };
        return { ...state, categories: { ...state.categories, [id]: name } };
      }
      case CategoryDeleted.type: {
        const { [(event.data as { categoryId: number }).categoryId]: _gone, ...categories } = state.categories;
        return { ...state, categories };
      }
      case MovieListed.type: {
        const { movieId, categoryId: id } = event.data as MovieListedData;
        return { ...state, movies: { ...state.movies, [movieId]: id }, moviesIn: { ...state.moviesIn, [id]: (state.moviesIn[id] ?? 0) + 1 } };
      }
      default:
        return state;
    }
  },
  commands: {
    createCategory: {
      // `id` is for the seed (the demo catalog's fixed ids); the API lets the catalog choose.
      schema: z.object({ name: categoryName, id: categoryId.optional() }).strict(),
      stream: () => catalogStream,
      decide: (input: { name: string; id?: number }, state: CatalogState): NewEvent[] => {
        if (nameTaken(state, input.name)) throw problems.rejected('category-name-taken', `A category named ${input.name} exists already.`, 'name');
        const id = input.id ?? state.nextCategoryId;
        if (state.categories[id] !== undefined) throw problems.rejected('category-id-taken', `Category ${id} exists already.`, 'id');
        return [CategoryCreated({ categoryId: id, name: input.name })];
      },
    },
    renameCategory: {
      schema: z.object({ id: categoryId, name: categoryName }).strict(),
      stream: () => catalogStream,
      decide: (input: { id: number; name: string }, state: CatalogState): NewEvent[] => {
        const previousName = existing(state, input.id);
        if (previousName === input.name) return [];
        if (nameTaken(state, input.name, input.id)) throw problems.rejected('category-name-taken', `A category named ${input.name} exists already.`, 'name');
        return [CategoryRenamed({ categoryId: input.id, name: input.name, previousName })];
      },
    },
    deleteCategory: {
      schema: z.object({ id: categoryId }).strict(),
      stream: () => catalogStream,
      decide: (input: { id: number }, state: CatalogState): NewEvent[] => {
        const name = existing(state, input.id);
        const movies = state.moviesIn[input.id] ?? 0;
        // Orders and reports refer to a movie's category; a category with movies stays.
        if (movies > 0) throw problems.rejected('category-in-use', `${movies} movies are in ${name}; a category with movies cannot be deleted.`, 'id');
        return [CategoryDeleted({ categoryId: input.id, name })];
      },
    },
    listMovies: {
      schema: z.object({ movies: z.array(movie).min(1).max(99) }).strict(),
      stream: () => catalogStream,
      decide: (input: { movies: MovieListedData[] }, state: CatalogState): NewEvent[] => {
        const ids = new Set<number>();
        return input.movies.map((m, i) => {
          if (state.movies[m.movieId] !== undefined || ids.has(m.movieId)) {
            throw problems.rejected('movie-listed', `Movie ${m.movieId} is in the catalog already.`, `movies.${i}.movieId`);
          }
          if (state.categories[m.categoryId] === undefined) {
            throw problems.rejected('unknown-category', `There is no category ${m.categoryId}.`, `movies.${i}.categoryId`);
          }
          ids.add(m.movieId);
          return MovieListed(m);
        });
      },
    },
  },
  snapshotEvery: 100,
});

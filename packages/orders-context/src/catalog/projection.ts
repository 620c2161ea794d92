import { defineProjection } from '@eventloom/core';
import { CategoryCreated, CategoryDeleted, CategoryRenamed, MovieListed, type MovieListedData } from './events.ts';

/** Partition keys of the catalog's tables. */
export const categoryPartition = 'category';
export const moviePartition = 'movie';

/** Movie row keys sort by id. */
export const movieRowKey = (id: number) => String(id).padStart(7, '0');

/**
 * Tables `Categories` (PK `category`, RK the id, columns CategoryId, CategoryName)
 * and `Movies` (PK `movie`, RK the zero-padded id). `Categories` is the table an
 * operator may also edit by hand with a storage explorer; the category cache
 * notices either kind of change (see category-cache/).
 */
export const catalogViews = defineProjection({
  name: 'catalog',
  tables: ['Categories', 'Movies'],
  handles: [CategoryCreated.type, CategoryRenamed.type, CategoryDeleted.type, MovieListed.type],
  async apply(entry, { view }) {
    switch (entry.type) {
      case CategoryCreated.type:
      case CategoryRenamed.type: {
        const { categoryId, name } = entry.data as { categoryId: number; name: string };
        await view('Categories').update(categoryPartition, String(categoryId), () => ({
          partitionKey: categoryPartition,
          rowKey: String(categoryId),
          CategoryId: categoryId,
          CategoryName: name,
          UpdatedAt: entry.occurredAt,
        }));
        return;
      }
      case CategoryDeleted.type: {
        const { categoryId } = entry.data as { categoryId: number };
        await view('Categories').update(categoryPartition, String(categoryId), () => null);
        return;
      }
      case MovieListed.type: {
        const movie = entry.data as MovieListedData;
        view('Movies').put({
          partitionKey: moviePartition,
          rowKey: movieRowKey(movie.movieId),
          MovieId: movie.movieId,
          Title: movie.title,
          PriceCents: movie.priceCents,
          CategoryId: movie.categoryId,
          Year: movie.year,
        });
        return;
      }
    }
  },
});

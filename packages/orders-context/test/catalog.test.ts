import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../src/testing.ts';
import { ordersApi } from './harness.ts';

let api: Awaited<ReturnType<typeof ordersApi>>;
beforeAll(async () => {
  api = await ordersApi('catalog');
}, 60_000);
afterAll(() => api?.close());

describe('the seeded catalog', () => {
  it('lists the generated categories to every role', async () => {
    for (const as of ['admin', 'owner', 'consumer'] as const) {
      const { status, body } = await api.get('/categories', as);
      expect(status).toBe(200);
      expect(body.items).toEqual(demoCatalog.categories);
    }
    expect(demoCatalog.categories.length).toBeGreaterThanOrEqual(19);
    expect((await api.get('/categories', null)).status).toBe(401);
  });

  it('pages through the movies, with prices and their category', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const { status, body } = await api.get(`/movies?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(status).toBe(200);
      seen.push(...body.items.map((m: { id: number }) => m.id));
      cursor = body.cursor;
    } while (cursor);
    expect(seen).toEqual(demoCatalog.movies.map((m) => m.id));
    expect(seen.length).toBeGreaterThanOrEqual(500);

    const movie = demoCatalog.movies[41]!;
    const { body } = await api.get(`/movies/${movie.id}`, 'consumer');
    expect(body).toEqual({
      id: movie.id,
      title: movie.title,
      price: movie.priceCents / 100,
      priceCents: movie.priceCents,
      year: movie.year,
      category: demoCatalog.categories[movie.categoryId - 1],
    });
    expect((await api.get('/movies/99999')).status).toBe(404);
  });

  it('filters movies by category', async () => {
    const drama = demoCatalog.categories.find((c) => c.name === 'Drama')!;
    const { body } = await api.get(`/movies?category=${drama.id}&limit=200`);
    const expected = demoCatalog.movies.filter((m) => m.categoryId === drama.id).map((m) => m.id);
    expect(body.items.map((m: { id: number }) => m.id)).toEqual(expected);
    expect(body.items.every((m: { category: { name: string } }) => m.category.name === 'Drama')).toBe(true);
  });

  it('refuses a cursor it did not give out and a limit out of range', async () => {
    expect((await api.get('/movies?cursor=bogus')).status).toBe(400);
    expect((await api.get('/movies?limit=1000')).body.errors).toHaveProperty('limit');
  });
});

describe('category writes', () => {
  it('creates, renames and deletes a category; reads see each change at once', async () => {
    const created = await api.post('/categories', { name: 'Noir' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'applied', category: { name: 'Noir' } });
    const id = created.body.category.id as number;
    expect(id).toBe(demoCatalog.categories.length + 1);
    expect((await api.get(`/categories/${id}`)).body).toEqual({ id, name: 'Noir' });

    const renamed = await api.patch(`/categories/${id}`, { name: 'Film Noir' });
    expect(renamed.status).toBe(200);
    expect((await api.get(`/categories/${id}`)).body).toEqual({ id, name: 'Film Noir' });
    expect((await api.get('/categories')).body.items.at(-1)).toEqual({ id, name: 'Film Noir' });

    const deleted = await api.delete(`/categories/${id}`);
    expect(deleted.status).toBe(200);
    expect((await api.get(`/categories/${id}`)).status).toBe(404);
    expect((await api.get('/categories')).body.items).toHaveLength(demoCatalog.categories.length);
  });

  it('keeps names unique, whatever their case', async () => {
    const { status, body } = await api.post('/categories', { name: 'comedy' });
    expect(status).toBe(422);
    expect(body.type).toMatch(/category-name-taken$/);
    expect(body.errors).toHaveProperty('name');
    expect((await api.patch('/categories/1', { name: 'Drama' })).status).toBe(422);
  });

  it('refuses to delete a category that has movies, and unknown categories', async () => {
    const { status, body } = await api.delete('/categories/1');
    expect(status).toBe(422);
    expect(body.type).toMatch(/category-in-use$/);
    expect((await api.delete('/categories/9999')).status).toBe(404);
    expect((await api.patch('/categories/9999', { name: 'Nothing' })).status).toBe(404);
  });

  it('refuses bad names, and writes by anyone but an admin', async () => {
    expect((await api.post('/categories', { name: '' })).body.errors).toHaveProperty('name');
    expect((await api.post('/categories', { name: '<script>' })).body.errors).toHaveProperty('name');
    expect((await api.post('/categories', { name: 'x'.repeat(41) })).status).toBe(400);
    expect((await api.post('/categories', { name: 'Valid', extra: 1 })).status).toBe(400);
    expect((await api.post('/categories', { name: 'Valid' }, 'owner')).status).toBe(403);
    expect((await api.post('/categories', { name: 'Valid' }, 'consumer')).status).toBe(403);
    expect((await api.delete('/categories/2', 'owner')).status).toBe(403);
    expect((await api.get('/categories/cache/stats', 'owner')).status).toBe(403);
  });

  it('applies a create once per Idempotency-Key', async () => {
    const first = await api.post('/categories', { name: 'Anime' }, 'admin', { 'Idempotency-Key': 'anime-1' });
    const again = await api.post('/categories', { name: 'Anime' }, 'admin', { 'Idempotency-Key': 'anime-1' });
    expect(first.status).toBe(201);
    expect(again.body).toMatchObject({ duplicate: true, commandId: first.body.commandId, category: { id: first.body.category.id, name: 'Anime' } });
  });
});

describe('category cache stats', () => {
  it('counts hits and misses and names the last invalidation', async () => {
    await api.get('/categories/3');
    const before = (await api.get('/categories/cache/stats')).body;
    await api.get('/categories/3');
    await api.get('/categories/3');
    const after = (await api.get('/categories/cache/stats')).body;
    expect(after.levels).toBe('memory+redis');
    expect(after.hits.l1 - before.hits.l1).toBe(2);
    expect(after.misses).toBe(before.misses);

    await api.patch('/categories/3', { name: 'Cartoons' });
    const stats = (await api.get('/categories/cache/stats')).body;
    expect(stats.lastInvalidation).toMatchObject({ keys: ['categories', 'category:3'], cause: 'api', source: 'local' });
    expect(stats.watcher.polls).toBeGreaterThan(0);
    await api.patch('/categories/3', { name: 'Animation' });
  });
});

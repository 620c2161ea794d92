import { odata } from '@azure/data-tables';
import { cursorParam, defineRoute, limitParam, problems, readPage, type AppEnv, type CommandAccepted, type CommandRequest, type ContextRuntime, type ViewRow } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { categoryCacheOf } from '../category-cache/for-runtime.ts';
import type { Category } from '../category-cache/category-table.ts';
import { categoryId, categoryName } from './decide.ts';
import { CategoryCreated } from './events.ts';
import { moviePartition, movieRowKey } from './projection.ts';

const readers: ('owner' | 'admin' | 'consumer')[] = ['owner', 'admin', 'consumer'];
/** A category write answers once the view and every process's cache have it, or after this long. */
const viewWaitMs = 5_000;

const CategorySchema = z.object({ id: z.number().int(), name: z.string() }).openapi('Category');
const MovieSchema = z
  .object({
    id: z.number().int(),
    title: z.string(),
    price: z.number().openapi({ description: 'In currency units, two decimals (as orders carry UnitPrice)' }),
    priceCents: z.number().int(),
    year: z.number().int(),
    category: CategorySchema.nullable().openapi({ description: 'Null when the category is gone from the Categories table' }),
  })
  .openapi('Movie');
const CategoryWrite = z
  .object({
    commandId: z.string(),
    status: z.enum(['accepted', 'applied']),
    statusUrl: z.string(),
    duplicate: z.boolean(),
    category: CategorySchema.nullable(),
  })
  .openapi('CategoryWrite');
const IdParam = z.object({ id: categoryId });
const NameBody = z.object({ name: categoryName }).strict().openapi('CategoryName');
const CommandHeaders = z.object({
  'idempotency-key': z.string().optional().openapi({ description: 'Applies the write once; a repeat answers with duplicate: true.' }),
});
const writeResponses = {
  202: { description: 'Stored; the view had not caught up within 5 s', content: { 'application/json': { schema: CategoryWrite } } },
  400: { description: 'Invalid fields (problem JSON with `errors`)' },
  404: { description: 'No such category' },
  422: { description: '`category-name-taken`, or `category-in-use` for a delete' },
} as const;

const listCategories = defineRoute({
  method: 'get',
  path: '/categories',
  tags: ['orders'],
  roles: readers,
  summary: 'Movie categories (through the category cache)',
  responses: { 200: { description: 'Every category', content: { 'application/json': { schema: z.object({ items: z.array(CategorySchema) }) } } } },
});

const oneCategory = defineRoute({
  method: 'get',
  path: '/categories/{id}',
  tags: ['orders'],
  roles: readers,
  summary: 'One category (through the category cache)',
  request: { params: IdParam },
  responses: { 200: { description: 'The category', content: { 'application/json': { schema: CategorySchema } } }, 404: { description: 'No such category' } },
});

const createCategory = defineRoute({
  method: 'post',
  path: '/categories',
  tags: ['orders'],
  roles: ['admin'],
  summary: 'Create a category',
  request: { headers: CommandHeaders, body: { content: { 'application/json': { schema: NameBody } }, required: true } },
  responses: { 201: { description: 'Created; the view and the caches have it', content: { 'application/json': { schema: CategoryWrite } } }, ...writeResponses },
});

const renameCategory = defineRoute({
  method: 'patch',
  path: '/categories/{id}',
  tags: ['orders'],
  roles: ['admin'],
  summary: 'Rename a category',
  request: { params: IdParam, headers: CommandHeaders, body: { content: { 'application/json': { schema: NameBody } }, required: true } },
  responses: { 200: { description: 'Renamed; the view and the caches have it', content: { 'application/json': { schema: CategoryWrite } } }, ...writeResponses },
});

const deleteCategory = defineRoute({
  method: 'delete',
  path: '/categories/{id}',
  tags: ['orders'],
  roles: ['admin'],
  summary: 'Delete a category that has no movies',
  request: { params: IdParam, headers: CommandHeaders },
  responses: { 200: { description: 'Deleted; the view and the caches have it', content: { 'application/json': { schema: CategoryWrite } } }, ...writeResponses },
});

const listMovies = defineRoute({
  method: 'get',
  path: '/movies',
  tags: ['orders'],
  roles: readers,
  summary: 'Movies, a page at a time, optionally of one category',
  request: { query: z.object({ category: categoryId.optional(), limit: limitParam, cursor: cursorParam }) },
  responses: {
    200: {
      description: 'A page of movies in id order; pass `cursor` back for the next',
      content: { 'application/json': { schema: z.object({ items: z.array(MovieSchema), cursor: z.string().optional() }) } },
    },
  },
});

const oneMovie = defineRoute({
  method: 'get',
  path: '/movies/{id}',
  tags: ['orders'],
  roles: readers,
  summary: 'One movie (its id is the ProductId orders use)',
  request: { params: z.object({ id: z.coerce.number().int().positive().max(9_999_999) }) },
  responses: { 200: { description: 'The movie', content: { 'application/json': { schema: MovieSchema } } }, 404: { description: 'No such movie' } },
});

function commandRequest(c: Context<AppEnv>): CommandRequest {
  const idempotencyKey = c.req.header('Idempotency-Key');
  return { principal: c.get('principal')!, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
}

const toMovie = (row: ViewRow, categories: Map<number, Category>) => ({
  id: Number(row.MovieId),
  title: String(row.Title),
  price: Number(row.PriceCents) / 100,
  priceCents: Number(row.PriceCents),
  year: Number(row.Year),
  category: categories.get(Number(row.CategoryId)) ?? null,
});

export function catalogRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  const cache = () => categoryCacheOf(runtime);
  const categoriesById = async () => new Map((await (await cache()).list()).map((c) => [c.id, c]));

  /** Runs a category command, waits for the view, then drops the keys in every process. */
  const write = async (c: Context<AppEnv>, command: string, input: Record<string, unknown>, id: () => number | undefined) => {
    const accepted: CommandAccepted = await runtime.execute('catalog', command, input, commandRequest(c));
    // A repeat (same Idempotency-Key) or a no-op wrote nothing new to wait for.
    const applied = accepted.duplicate || accepted.events.length === 0 || (await runtime.waitForViews(accepted, viewWaitMs));
    const categoryId = id() ?? (accepted.events.find((e) => e.type === CategoryCreated.type)?.data as { categoryId?: number } | undefined)?.categoryId;
    const categories = await cache();
    if (categoryId !== undefined) await categories.invalidate(categories.keysFor([categoryId]), 'api');
    // Refilled at once (L2 too), so the other processes' next reads come from Redis, not the table.
    const [category] = applied && categoryId !== undefined ? await Promise.all([categories.get(categoryId), categories.list()]) : [null];
    const statusUrl = `/api/${runtime.name}/commands/${accepted.commandId}`;
    c.header('Location', statusUrl);
    const body = { commandId: accepted.commandId, status: applied ? ('applied' as const) : ('accepted' as const), statusUrl, duplicate: accepted.duplicate, category };
    return { body, applied, categoryId };
  };

  app.openapi(listCategories, async (c) => c.json({ items: await (await cache()).list() }, 200));

  app.openapi(oneCategory, async (c) => {
    const { id } = c.req.valid('param');
    const category = await (await cache()).get(id);
    if (!category) throw problems.notFound(`There is no category ${id}.`);
    return c.json(category, 200);
  });

  app.openapi(createCategory, async (c) => {
    const { body, applied, categoryId } = await write(c, 'createCategory', c.req.valid('json'), () => undefined);
    if (categoryId !== undefined) c.header('Content-Location', `/api/${runtime.name}/categories/${categoryId}`);
    return c.json(body, applied ? 201 : 202);
  });

  app.openapi(renameCategory, async (c) => {
    const { id } = c.req.valid('param');
    const { body, applied } = await write(c, 'renameCategory', { id, ...c.req.valid('json') }, () => id);
    return c.json(body, applied ? 200 : 202);
  });

  app.openapi(deleteCategory, async (c) => {
    const { id } = c.req.valid('param');
    const { body, applied } = await write(c, 'deleteCategory', { id }, () => id);
    return c.json(body, applied ? 200 : 202);
  });

  app.openapi(listMovies, async (c) => {
    const { category, limit, cursor } = c.req.valid('query');
    const page = await readPage(runtime.views, 'Movies', {
      partitionKey: moviePartition,
      ...(category !== undefined ? { filter: odata`CategoryId eq ${category}` } : {}),
      limit: limit ?? 50,
      ...(cursor ? { cursor } : {}),
    });
    const categories = await categoriesById();
    return c.json({ items: page.rows.map((row) => toMovie(row, categories)), ...(page.cursor ? { cursor: page.cursor } : {}) }, 200);
  });

  app.openapi(oneMovie, async (c) => {
    const { id } = c.req.valid('param');
    const row = await runtime.views.get('Movies', moviePartition, movieRowKey(id));
    if (!row) throw problems.notFound(`There is no movie ${id}.`);
    return c.json(toMovie(row, await categoriesById()), 200);
  });
}

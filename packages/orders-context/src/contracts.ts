/** What other contexts may know of orders: its published events and their schemas. */
export { OrderPlaced, OrderPlacedSchema, type OrderPlacedData } from './orders/events.ts';
export { CategoryCreated, CategoryRenamed, type CategoryCreatedData, type CategoryRenamedData } from './published/catalog.ts';
export { CategoryDeleted, MovieListed } from './catalog/events.ts';
export type { CategoryDeletedData, MovieListedData } from './catalog/events.ts';

/** What other contexts may know of orders: its published events and their schemas. */
export { OrderPlaced, OrderPlacedSchema, type OrderPlacedData } from './orders/events.ts';
export { CategoryCreated, CategoryDeleted, CategoryRenamed, MovieListed } from './catalog/events.ts';
export type { CategoryCreatedData, CategoryDeletedData, CategoryRenamedData, MovieListedData } from './catalog/events.ts';

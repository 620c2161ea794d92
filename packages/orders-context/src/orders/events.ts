import { defineEvent } from '@eventloom/core';
import { z } from 'zod';

const cents = z.number().int().positive();

/**
 * The order as the shop sent it (seed 004's field names), with money in whole
 * cents (`Total` → `TotalCents`, `UnitPrice` → `UnitPriceCents`), `OrderDate` as a
 * UTC ISO instant, and each line's `CategoryId` (the movie's category when it was
 * ordered) so consumers need no catalog lookup.
 */
export const OrderPlacedSchema = z.object({
  Region: z.string(),
  OrderDate: z.string(),
  FirstName: z.string(),
  LastName: z.string(),
  Address: z.string(),
  City: z.string(),
  State: z.string(),
  PostalCode: z.string(),
  Country: z.string(),
  Phone: z.string(),
  SMSOptIn: z.boolean().optional(),
  SMSStatus: z.string().optional(),
  Email: z.string(),
  ReceiptUrl: z.string().optional(),
  TotalCents: cents,
  PaymentTransactionId: z.string(),
  HasBeenShipped: z.boolean().optional(),
  Details: z
    .array(
      z.object({
        Email: z.string(),
        ProductId: z.number().int().positive(),
        Quantity: z.number().int().positive(),
        UnitPriceCents: cents,
        CategoryId: z.number().int().positive(),
      }),
    )
    .min(1),
});

export type OrderPlacedData = z.infer<typeof OrderPlacedSchema>;

export const OrderPlaced = defineEvent('OrderPlaced', {
  schema: OrderPlacedSchema,
  description: 'A customer placed an order (event-carried state: the whole order).',
});

import { defineEvent } from '@eventloom/core';
import { z } from 'zod';

export const Incremented = defineEvent('Incremented', {
  schema: z.object({ counterId: z.string(), by: z.number().int().positive() }),
  description: 'A counter went up.',
});

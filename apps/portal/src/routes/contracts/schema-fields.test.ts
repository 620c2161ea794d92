import { describe, expect, it } from 'vitest';
import { contractsOf, schemaFields } from './schema-fields.ts';

const order = {
	type: 'object',
	required: ['TotalCents', 'Details'],
	properties: {
		TotalCents: { type: 'integer', exclusiveMinimum: 0, maximum: 9007199254740991 },
		Region: { type: 'string', description: 'Where it was sold' },
		Details: {
			type: 'array',
			minItems: 1,
			items: { type: 'object', required: ['Quantity'], properties: { Quantity: { type: 'integer', minimum: 1 }, Kind: { type: 'string', enum: ['dvd', 'stream'] } } },
		},
	},
};

describe('schema fields for people', () => {
	it('flattens nested lists into dotted paths with types, required flags and constraints in words', () => {
		expect(schemaFields(order)).toEqual([
			{ path: 'TotalCents', type: 'integer', required: true, notes: '> 0' },
			{ path: 'Region', type: 'string', required: false, notes: 'Where it was sold' },
			{ path: 'Details', type: 'list of object', required: true, notes: 'at least 1 item' },
			{ path: 'Details[].Quantity', type: 'integer', required: true, notes: '≥ 1' },
			{ path: 'Details[].Kind', type: 'enum', required: false, notes: 'one of "dvd", "stream"' },
		]);
	});

	it('reads contexts, events and styles from the AsyncAPI document', () => {
		const document = {
			channels: {
				ordersFeed: { address: '/api/orders/feed', title: 'Orders feed', messages: { OrderPlaced: { $ref: '#/components/messages/orders.OrderPlaced.v1' } } },
			},
			components: {
				schemas: { 'orders.OrderPlaced.v1': order },
				messages: {
					'orders.OrderPlaced.v1': {
						name: 'OrderPlaced',
						summary: 'The whole order.',
						'x-eventloom-style': 'state',
						'x-eventloom-schema-version': 1,
						payload: {
							type: 'object',
							properties: { type: { type: 'string', const: 'orders.OrderPlaced.v1' }, data: { $ref: '#/components/schemas/orders.OrderPlaced.v1' } },
						},
					},
				},
			},
		};
		const [orders] = contractsOf(document);
		expect(orders).toMatchObject({ name: 'orders', title: 'Orders', address: '/api/orders/feed' });
		expect(orders!.events[0]).toMatchObject({ type: 'OrderPlaced', version: 1, cloudEventType: 'orders.OrderPlaced.v1', style: 'state', description: 'The whole order.' });
		expect(orders!.events[0]!.fields.map((f) => f.path)).toContain('Details[].Quantity');
	});
});

import { describe, expect, it } from 'vitest';
import { inDollars, toFormErrors } from './form-errors.ts';

describe('toFormErrors', () => {
	const formField = { 'from.customer': 'fromCustomer', 'to.bank': 'toBank', amountCents: 'amount' };

	it('puts each error the form has a field for on that field', () => {
		const { fields, rest } = toFormErrors(
			{ 'from.customer': ['customer must be 1-64 letters'], 'to.bank': ['a transfer goes between two banks'] },
			formField,
		);
		expect(fields).toEqual({ fromCustomer: ['customer must be 1-64 letters'], toBank: ['a transfer goes between two banks'] });
		expect(rest).toEqual([]);
	});

	it('keeps errors on fields the form lacks as lines naming the field', () => {
		const { fields, rest } = toFormErrors({ transferId: ['transferId must be 1-56 letters'] }, formField);
		expect(fields).toEqual({});
		expect(rest).toEqual(['transferId: transferId must be 1-56 letters']);
	});

	it('speaks of the amount in dollars, as the form asks for it', () => {
		const { fields } = toFormErrors({ amountCents: ['amountCents may be at most 10000000000 ($100,000,000.00)'] }, formField);
		expect(fields.amount).toEqual(['The amount may be at most $100,000,000.00']);
	});
});

describe('inDollars', () => {
	it('leaves messages without cents as they are', () => {
		expect(inDollars('customer is required')).toBe('customer is required');
	});

	it('names the amount instead of amountCents', () => {
		expect(inDollars('amountCents must be more than zero')).toBe('The amount must be more than zero');
	});
});

import { describe, expect, it } from 'vitest';
import { stepSummary, stepTone } from './transfer.ts';
import { transferSteps } from './types.ts';

describe('transfer steps', () => {
	it('marks a completed transfer ok, a refunded one idle, a refused or stuck one as an error', () => {
		expect(stepTone('completed')).toBe('ok');
		expect(stepTone('compensated')).toBe('idle');
		expect(stepTone('rejected')).toBe('error');
		expect(stepTone('attention')).toBe('error');
	});

	it('marks every step still moving money as pending', () => {
		expect(['withdrawing', 'depositing', 'expiring', 'refunding'].map((step) => stepTone(step as never))).toEqual(Array(4).fill('pending'));
	});

	it('says where every step stands, naming the banks', () => {
		for (const step of transferSteps) expect(stepSummary(step, 'Republic Bank', 'Scotia Bank')).not.toBe('');
		expect(stepSummary('compensated', 'Republic Bank', 'Scotia Bank')).toBe('Scotia Bank did not take the deposit, so the money went back to Republic Bank.');
	});
});

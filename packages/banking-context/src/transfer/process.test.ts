import { accepted, advance, processFlow, refused, started } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { transferProcess, type TransferRequest } from './process.ts';

const request: TransferRequest = {
  transferId: 't-1001',
  from: { customer: 'U1001', bank: 'republic' },
  to: { customer: 'U1001', bank: 'scotia' },
  amountCents: 25_000,
  requestedBy: 'owner.republic',
};
const transfer = transferProcess({ depositTimeoutMs: 30_000, graceMs: 2_000 });
const at = new Date('2026-12-07T10:00:00Z');

const withdraw = { step: 'withdraw', context: 'banking', aggregate: 'account', command: 'withdraw', input: { customer: 'U1001', bank: 'republic', amountCents: 25_000, memo: 'transfer t-1001 to scotia', transfer: { id: 't-1001' } } };
const deposit = (notAfter: string) => ({
  step: 'deposit',
  context: 'banking',
  aggregate: 'account',
  command: 'deposit',
  input: { customer: 'U1001', bank: 'scotia', amountCents: 25_000, memo: 'transfer t-1001 from republic', transfer: { id: 't-1001', notAfter, requestedBy: 'owner.republic' } },
});
const expire = { step: 'expire', context: 'banking', aggregate: 'account', command: 'expireTransferDeposit', input: { customer: 'U1001', bank: 'scotia', transferId: 't-1001' } };
const refund = (notAfter: string) => ({
  step: 'refund',
  context: 'banking',
  aggregate: 'account',
  command: 'deposit',
  input: { customer: 'U1001', bank: 'republic', amountCents: 25_000, memo: 'refund of transfer t-1001 to scotia', transfer: { id: 't-1001-refund', notAfter } },
});
const stored = (type: string, data: unknown = {}) => [{ type, data }];

const withdrawnFlow = () => processFlow(transfer, { now: at }).given([started(request), accepted('withdraw', stored('Withdrawn'))]);

describe('the transfer process', () => {
  it('withdraws at A first, then deposits at B with the transfer and its deadline, and a timer past it, then completes', () => {
    processFlow(transfer, { now: at }).when(started(request)).then({ send: [withdraw], state: { step: 'withdrawing' } });
    processFlow(transfer, { now: at })
      .given([started(request)])
      .when(accepted('withdraw', stored('Withdrawn')))
      .then({ send: [deposit('2026-12-07T10:00:30.000Z')], schedule: [{ timer: 'depositTimeout', afterMs: 32_000 }], state: { step: 'depositing' } });
    withdrawnFlow()
      .when(accepted('deposit', stored('Deposited')))
      .then({
        cancel: ['depositTimeout'],
        done: true,
        state: { step: 'completed' },
        // What consumers hear: the transfer completed (published, with a link to it).
        emit: [{ type: 'TransferCompleted', data: { transferId: 't-1001', from: request.from, to: request.to, amountCents: 25_000 }, schemaVersion: 1 }],
      });
    // A repeat of a deposit that had landed stores nothing, and still means it landed.
    withdrawnFlow().when(accepted('deposit', [])).then({ done: true, state: { step: 'completed' } });
  });

  it('is rejected, moving nothing, when A refuses', () => {
    processFlow(transfer).given([started(request)]).when(refused('withdraw', 'insufficient-funds')).then({ send: [], done: true, state: { step: 'rejected', reason: 'insufficient-funds' } });
  });

  it('is rejected when A stores its refusal (the answer every send of the step gets), with its code and detail', () => {
    processFlow(transfer)
      .given([started(request)])
      .when(accepted('withdraw', stored('TransferWithdrawalRefused', { transferId: 't-1001', code: 'account-frozen', detail: 'The account is frozen.' })))
      .then({ send: [], done: true, state: { step: 'rejected', reason: 'account-frozen', detail: 'The account is frozen.' } });
  });

  it('when B refuses, fences the deposit before refunding (a second send could still land), then is compensated', () => {
    const flow = withdrawnFlow();
    flow.when(refused('deposit', 'account-frozen')).then({ send: [expire], cancel: ['depositTimeout'], state: { step: 'expiring', reason: 'account-frozen' } });
    flow.when(accepted('expire', stored('TransferDepositExpired'))).then({ send: [refund('2026-12-07T11:00:00.000Z')], state: { step: 'refunding', reason: 'account-frozen' } });
    flow.when(accepted('refund', stored('Deposited'))).then({ done: true, state: { step: 'compensated', reason: 'account-frozen' } });
  });

  it('when B is silent past the deadline: expire, then refund', () => {
    const flow = withdrawnFlow();
    flow.when(advance(31_999)).then({ fired: [], send: [] });
    flow.when(advance(1)).then({ fired: ['depositTimeout'], send: [expire], state: { step: 'expiring', reason: 'timeout' } });
    flow.when(accepted('expire', stored('TransferDepositExpired'))).then({ send: [refund('2026-12-07T11:00:32.000Z')], state: { step: 'refunding', reason: 'timeout' } });
    flow.when(accepted('refund', stored('Deposited'))).then({ done: true, state: { step: 'compensated' } });
  });

  it('completes, without refunding, when the deposit had landed after all (expire refused, or the deposit answered late)', () => {
    const landed = withdrawnFlow();
    landed.when(advance(32_000)).then({ send: [expire] });
    landed.when(refused('expire', 'deposit-landed')).then({ send: [], done: true, state: { step: 'completed' } });

    const late = withdrawnFlow();
    late.when(advance(32_000)).then({ send: [expire] });
    late.when(accepted('deposit', stored('Deposited'))).then({ send: [], done: true, state: { step: 'completed' } });
    // The expiry's answer arrives after: the instance is done, nothing is refunded.
    late.when(accepted('expire', stored('TransferDepositExpired'))).then({ send: [], done: true });
  });

  it('asks for attention when the withdrawal stores something else, or the refund itself is refused', () => {
    processFlow(transfer).given([started(request)]).when(accepted('withdraw', stored('Voided'))).then({ done: true, state: { step: 'attention', reason: 'unexpected-answer' } });
    const flow = withdrawnFlow();
    flow.when(refused('deposit', 'account-frozen'));
    flow.when(accepted('expire', stored('TransferDepositExpired')));
    flow.when(refused('refund', 'balance-limit')).then({ done: true, state: { step: 'attention', reason: 'balance-limit' } });
  });

  it('refuses a transfer within one bank, or with a bad id, before anything is recorded', () => {
    expect(() => processFlow(transfer).when(started({ ...request, to: { customer: 'U1002', bank: 'republic' } }))).toThrow(/a transfer goes between two banks/);
    expect(() => processFlow(transfer).when(started({ ...request, transferId: 'no/slashes' }))).toThrow(/transferId must be/);
  });
});

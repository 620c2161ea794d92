export { decider, projection, stored, MemoryViewStore } from './given.ts';
export * from './azurite.ts';
export * from './env.ts';
export { testHost, type TestRequest, type TestResponse } from './test-host.ts';
export { childEnv, startChild, type Child, type ChildMessage } from './child-process.ts';
export { compareFeedWithStore, comparePartitions, storeEvents, wholeFeed, type FeedCheck } from './feed-audit.ts';
export type { EventColumns } from '../store/codec.ts';
export { processFlow, ProcessFlow, FlowAssertions, started, accepted, refused, advance, type Advance, type FlowOutcome } from './process-flow.ts';

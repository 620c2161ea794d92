export { startThrottle, type Throttle, type ThrottleOptions, type ThrottleStats } from './throttle.ts';
export { azureTargets, Limits, type LimitsOptions, type Verdict } from './limits.ts';
export { costOf, type Cost, type TableRequest } from './requests.ts';

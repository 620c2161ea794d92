import banking from '@eventloom/banking-context';
import counter from '@eventloom/counter-context';
import type { ContextDefinition } from '@eventloom/core';
import orders from '@eventloom/orders-context';
import reporting from '@eventloom/reporting-context';

/** The contexts this gateway hosts. Adding one is one import and one entry. */
export const contexts: ContextDefinition[] = [counter, banking, orders, reporting];

import type { ContextDefinition, PublishedContract } from '@eventloom/core';
import { z } from 'zod';
import { cloudEventSource, cloudEventType, eventContentType } from './cloud-event.ts';

type JsonSchema = Record<string, unknown>;

/** Component names allow letters, digits, `.`, `-` and `_`. */
const messageId = (context: string, contract: PublishedContract) => `${context}.${contract.event.type}.v${contract.event.version}`;
const channelId = (context: string) => `${context}Feed`;

/** A zod schema as JSON Schema draft-07 (the AsyncAPI schema format's base), without `$schema`. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const notificationData: JsonSchema = {
  type: 'object',
  description: 'A thin notification: what happened and where to read the full resource (with a key scoped to the context).',
  required: ['id', 'type', 'stream'],
  properties: {
    id: { type: 'string', description: 'The event id (also the CloudEvent id)' },
    type: { type: 'string', description: 'The event type' },
    stream: { type: 'string', description: 'The stream (aggregate instance) it happened to' },
    link: { type: 'string', description: 'Gateway path of the full resource' },
  },
};

/** The structured CloudEvent around a contract's data, exactly as the feed and webhooks send it. */
function envelopeSchema(context: string, contract: PublishedContract, data: JsonSchema): JsonSchema {
  const { event } = contract;
  return {
    type: 'object',
    required: ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'data', 'sequence'],
    properties: {
      specversion: { type: 'string', const: '1.0' },
      id: { type: 'string', description: 'Event id (UUIDv7)' },
      source: { type: 'string', const: cloudEventSource(context) },
      type: { type: 'string', const: cloudEventType(context, event.type, event.version) },
      subject: { type: 'string', description: 'The stream (aggregate instance)' },
      time: { type: 'string', format: 'date-time' },
      datacontenttype: { type: 'string', const: 'application/json' },
      sequence: { type: 'string', description: 'Position in the context feed, zero-padded (sorts as text)' },
      streamversion: { type: 'integer', description: 'Position in the stream' },
      correlationid: { type: 'string' },
      causationid: { type: 'string' },
      dataref: { type: 'string', description: 'Gateway path of the full resource' },
      data,
    },
  };
}

export interface AsyncApiOptions {
  /** `host[:port]` of the gateway, for the server entry. */
  host?: string;
  version?: string;
}

/**
 * An AsyncAPI 3.0 document of every context's published contracts: one channel per
 * context feed, one message per published event with the CloudEvent around its data
 * (JSON Schema from the event's zod schema, or the thin notification shape).
 */
export function asyncApiDocument(contexts: readonly ContextDefinition[], options: AsyncApiOptions = {}) {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};

  for (const context of contexts) {
    const published = context.contracts?.published ?? [];
    if (published.length === 0) continue;
    const channel = channelId(context.name);
    const channelMessages: Record<string, unknown> = {};
    for (const contract of published) {
      const id = messageId(context.name, contract);
      const full = jsonSchemaOf(contract.event.schema);
      schemas[id] = full;
      const data = contract.style === 'notification' ? notificationData : { $ref: `#/components/schemas/${id}` };
      messages[id] = {
        name: contract.event.type,
        title: `${context.title ?? context.name}: ${contract.event.type}`,
        summary: contract.description ?? contract.event.type,
        contentType: eventContentType,
        payload: envelopeSchema(context.name, contract, data),
        correlationId: { location: '$message.payload#/correlationid' },
        'x-eventloom-style': contract.style,
        'x-eventloom-schema-version': contract.event.version,
        ...(contract.link ? { 'x-eventloom-link': true } : {}),
      };
      channelMessages[contract.event.type] = { $ref: `#/components/messages/${id}` };
    }
    channels[channel] = {
      address: `/api/${context.name}/feed`,
      title: `${context.title ?? context.name} feed`,
      description:
        `Published events of ${context.name}, in feed order. Read with GET /api/${context.name}/feed?after=CURSOR&limit=N ` +
        '(a CloudEvents batch; the next cursor in the Link header; `wait=N` long-polls), stream with /feed/stream (SSE), ' +
        'or register a webhook at POST /api/webhooks.',
      messages: channelMessages,
    };
    operations[`receive${context.name[0]!.toUpperCase()}${context.name.slice(1)}Events`] = {
      action: 'receive',
      title: `Receive ${context.name} events`,
      channel: { $ref: `#/channels/${channel}` },
      messages: Object.keys(channelMessages).map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` })),
      security: [{ $ref: '#/components/securitySchemes/consumerKey' }],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Eventloom published events',
      version: options.version ?? '0.1.0',
      description:
        'What each context publishes to other systems (seed 003): notifications are thin (id, type, link to the full resource); ' +
        'state and delta events carry their data (event-carried state transfer). Every message is a CloudEvents 1.0 structured event.',
    },
    defaultContentType: eventContentType,
    servers: {
      gateway: {
        host: options.host ?? '127.0.0.1:8787',
        protocol: 'http',
        description: 'The Eventloom gateway: cursor-paged feeds, SSE and webhooks',
        security: [{ $ref: '#/components/securitySchemes/consumerKey' }],
      },
    },
    channels,
    operations,
    components: {
      messages,
      schemas,
      securitySchemes: {
        consumerKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A consumer key (`elk_…`) from an admin, scoped to contexts: `Authorization: Bearer elk_…`.',
        },
      },
    },
  };
}

export { body, GatewayClient, GatewayUnreachable, type Fetch, type GatewayClientOptions, type Principal } from './client.ts';
export { command, type CommandHeaders, type CommandOptions } from './commands.ts';
export { feedStream, followFeed, openStream, readFeed, serverEvents, streamBody, type CloudEvent, type FeedContext, type FeedPage, type FeedRead, type ServerEvent, type StreamOptions, type StreamPath } from './feed.ts';
export type { components, operations, paths } from './gateway-types.ts';
export { items, pages, type CursorPage } from './paging.ts';
export { ProblemError, toFieldErrors, toProblem, type FieldErrors, type Problem } from './problem.ts';

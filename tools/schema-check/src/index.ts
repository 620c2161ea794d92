export { compareSchemas, type JsonSchema, type SchemaChange } from './compare.ts';
export { checkSchemas, breakingHint, type SchemaReport } from './check.ts';
export { publishedSchemas, workspaceContexts, eventLabel, type PublishedSchema } from './published.ts';
export { readRecorded, writeRecorded, recordPath, type RecordedSchema } from './records.ts';

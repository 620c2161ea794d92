import { isDeepStrictEqual } from 'node:util';
import { compareSchemas, type JsonSchema, type SchemaChange } from './compare.ts';
import { eventLabel, type PublishedSchema } from './published.ts';
import { recordPath, type RecordedSchema } from './records.ts';

/** What comparing the published schemas with the recorded ones found. */
export interface SchemaReport {
  /** Changes that break stored events or consumers: the check fails. */
  breaking: string[];
  /** Published event versions with no recorded schema yet: the check fails until recorded. */
  unrecorded: string[];
  /** Compatible changes not recorded yet (pass; `--record` writes them). */
  compatible: string[];
  /** What `--record` writes: new versions and compatible changes, never a breaking one. */
  toRecord: RecordedSchema[];
  /** Event versions whose recorded schema equals the current one. */
  unchanged: number;
}

/** What to do about a breaking change. */
export const breakingHint =
  'keep the recorded shape, or publish a new version: raise `version` in defineEvent and add an upcaster from the old one ' +
  '(if nothing consumes the event yet, delete its file under schemas/ and record again)';

/**
 * Compares each published event's current schema with its recorded one. Only the
 * current version is compared: older versions stay recorded as history, and events
 * stored at them are read through upcasters. `contexts` limits the check to some
 * contexts (the others' records are then left alone).
 */
export function checkSchemas(current: PublishedSchema[], recorded: RecordedSchema[], contexts?: readonly string[]): SchemaReport {
  const inScope = (context: string) => !contexts || contexts.includes(context);
  const report: SchemaReport = { breaking: [], unrecorded: [], compatible: [], toRecord: [], unchanged: 0 };
  const versionsOf = (context: string, type: string) =>
    recorded.filter((r) => r.context === context && r.type === type).sort((a, b) => a.version - b.version);

  for (const event of current.filter((e) => inScope(e.context))) {
    const label = eventLabel(event.context, event.type, event.version);
    const versions = versionsOf(event.context, event.type);
    const newest = versions.at(-1);
    if (newest && newest.version > event.version) {
      report.breaking.push(`${label}: v${newest.version} is recorded but the code is at v${event.version}; a version never goes back`);
      continue;
    }
    const same = versions.find((r) => r.version === event.version);
    if (!same) {
      const upcast = newest ? ` (events stored at v${newest.version} are read through upcasters)` : '';
      report.unrecorded.push(`${label}: not recorded in ${recordPath(event.context, event.type, event.version)}${upcast}`);
      report.toRecord.push(event);
      continue;
    }
    if (isDeepStrictEqual(same.schema, event.schema)) {
      report.unchanged++;
      continue;
    }
    const changes = [...compareSchemas(same.schema, event.schema), ...contractChanges(same.schema, event.schema)];
    const breaking = changes.filter((c) => c.breaking);
    for (const change of breaking) report.breaking.push(`${label}: ${change.message}`);
    if (breaking.length > 0) continue;
    const compatible = changes.filter((c) => !c.breaking);
    if (compatible.length === 0) report.compatible.push(`${label}: title or other annotations changed`);
    for (const change of compatible) report.compatible.push(`${label}: ${change.message}`);
    report.toRecord.push(event);
  }

  const published = new Set(current.map((e) => `${e.context}.${e.type}`));
  const gone = new Map<string, RecordedSchema>();
  for (const record of recorded) {
    if (inScope(record.context) && !published.has(`${record.context}.${record.type}`)) gone.set(`${record.context}.${record.type}`, record);
  }
  for (const [name, record] of gone) {
    report.breaking.push(
      `${name}: recorded (${recordPath(record.context, record.type, record.version)}) but no longer published; consumers may rely on it ` +
        '(if none does, delete its files under schemas/)',
    );
  }
  return report;
}

const styleOf = (schema: JsonSchema) => (schema['x-eventloom'] as { style?: string } | undefined)?.style;

/**
 * How the contract publishes the event: a thin notification carries no data on the
 * feed, so turning a state or delta event into one takes the data away from consumers.
 */
function contractChanges(recorded: JsonSchema, current: JsonSchema): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const [before, after] = [styleOf(recorded), styleOf(current)];
  if (before !== after) {
    changes.push(
      after === 'notification'
        ? { breaking: true, field: '', message: `published as a thin notification now (was ${before}): the feed no longer carries its data` }
        : { breaking: false, field: '', message: `published as ${after} now (was ${before})` },
    );
  }
  if (recorded.description !== current.description) changes.push({ breaking: false, field: '', message: 'description changed' });
  return changes;
}

import type { ContainerClient } from '@azure/storage-blob';
import { v7 as uuidv7 } from 'uuid';
import { channels, type Bus } from '../bus/bus.ts';
import { problems } from '../http/problem.ts';
import { isConflict, isPreconditionFailed } from '../store/storage.ts';
import { readJson, rebuildBlob, type RebuildRecord } from './generations.ts';

/** What the admin side needs of a context to ask for rebuilds. */
interface RebuildHost {
  name: string;
  bus: Bus;
  container(): Promise<ContainerClient>;
  hasProjection(name: string): boolean;
}

const busy = new Set<RebuildRecord['state']>(['requested', 'running', 'cancel-requested']);

function check(host: RebuildHost, projection: string): void {
  if (!host.hasProjection(projection)) throw problems.notFound(`context ${host.name} has no projection ${projection}`);
}

/** Asks the projection's runner to rebuild; refused while another rebuild of it runs. */
export async function requestRebuild(host: RebuildHost, projection: string, who: string): Promise<RebuildRecord> {
  check(host, projection);
  const container = await host.container();
  const current = await readJson<RebuildRecord>(container, rebuildBlob(projection));
  if (current && busy.has(current.value.state)) {
    throw problems.conflict(`a rebuild of ${projection} is already ${current.value.state}`, { rebuild: current.value });
  }
  const record: RebuildRecord = { id: uuidv7(), projection, state: 'requested', requestedBy: who, requestedAt: new Date().toISOString() };
  const body = JSON.stringify(record);
  try {
    await container
      .getBlockBlobClient(rebuildBlob(projection))
      .upload(body, Buffer.byteLength(body), { conditions: current ? { ifMatch: current.etag } : { ifNoneMatch: '*' } });
  } catch (error) {
    if (isPreconditionFailed(error) || isConflict(error)) throw problems.conflict(`a rebuild of ${projection} was just requested by someone else`);
    throw error;
  }
  await host.bus.publish(channels.rebuild(host.name), { ...record, context: host.name });
  return record;
}

/** Stops a rebuild: the shadow tables are dropped and the live view stays. */
export async function cancelRebuild(host: RebuildHost, projection: string): Promise<RebuildRecord> {
  check(host, projection);
  const container = await host.container();
  const current = await readJson<RebuildRecord>(container, rebuildBlob(projection));
  if (!current || !busy.has(current.value.state)) throw problems.conflict(`no rebuild of ${projection} is running`);
  const record: RebuildRecord = { ...current.value, state: 'cancel-requested' };
  const body = JSON.stringify(record);
  try {
    await container.getBlockBlobClient(rebuildBlob(projection)).upload(body, Buffer.byteLength(body), { conditions: { ifMatch: current.etag } });
  } catch (error) {
    if (isPreconditionFailed(error)) return cancelRebuild(host, projection);
    throw error;
  }
  await host.bus.publish(channels.rebuild(host.name), { ...record, context: host.name });
  return record;
}

export async function rebuildStatus(host: RebuildHost, projection: string): Promise<RebuildRecord | undefined> {
  check(host, projection);
  return (await readJson<RebuildRecord>(await host.container(), rebuildBlob(projection)))?.value;
}

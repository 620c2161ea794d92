import { randomUUID } from 'node:crypto';
import { link, mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Creates `path` with `content` unless it already exists, atomically: two gateways
 * starting at once on a fresh machine must agree on one key and one set of accounts.
 * Writes a temp file and hard-links it into place (link fails if the target exists),
 * so nobody ever reads a half-written file. Returns false when the file was there.
 */
export async function writeOnce(path: string, content: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

import type { Logger, Runtime } from '@eventloom/core';

/**
 * Seeds empty stores with demo data (once per store). Run by the process that runs the
 * workers; a failure is logged and the contexts run on without demo data.
 */
export async function seedEmptyStores(runtime: Runtime, logger: Logger): Promise<void> {
  try {
    const seeded = await runtime.seed();
    if (seeded.length > 0) logger.info({ contexts: seeded }, 'seeded demo data');
  } catch (error) {
    logger.error({ err: error }, 'seeding failed; the contexts run without demo data');
  }
}

/** `pnpm --filter @eventloom/client generate`: rewrites src/gateway-types.ts from the gateway's routes. */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gatewayTypes, typesFile } from './gateway-types.ts';

const target = fileURLToPath(new URL(`../${typesFile}`, import.meta.url));
await writeFile(target, await gatewayTypes());
process.stdout.write(`wrote ${typesFile}\n`);
process.exit(0);

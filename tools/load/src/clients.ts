import { setTimeout as sleep } from 'node:timers/promises';
import { draw, type WeightedStep } from './mix.ts';
import type { ClientState, Session } from './session.ts';

/** A step that threw: a bug in the tool, not an answer of the gateway. Counted and reported. */
export interface ToolError {
  step: string;
  message: string;
}

/**
 * `count` virtual clients, each drawing steps from the mix one after another until
 * `session.until`. They start spread over the first half second, not all in one burst.
 * Client i opens with `openers[i]`, so a short run still sends every rare step once.
 */
export async function runClients(session: Session, count: number, mix: WeightedStep[], openers: WeightedStep[] = []): Promise<ToolError[]> {
  const errors: ToolError[] = [];
  const client = async (id: number) => {
    const state: ClientState = { id, writes: 0, cursors: new Map() };
    await sleep(Math.random() * 500);
    let opener = openers[id];
    while (performance.now() < session.until) {
      const { name, step } = opener ?? draw(mix);
      opener = undefined;
      try {
        await step(session, state);
      } catch (error) {
        errors.push({ step: name, message: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: count }, (_, id) => client(id)));
  return errors;
}

import { problems, ProblemError, problemBase, type ContextRuntime, type Runtime } from '@eventloom/core';

export interface Target {
  context: ContextRuntime;
  projection: string;
}

/** Every projection as `context/projection`, for messages that list what exists. */
export function knownProjections(runtime: Runtime): string[] {
  return [...runtime.contexts.values()].flatMap((context) => context.definition.projections.map((p) => `${context.name}/${p.name}`));
}

export function contextNamed(runtime: Runtime, name: string): ContextRuntime {
  const context = runtime.contexts.get(name);
  if (!context) {
    const known = [...runtime.contexts.keys()];
    throw new ProblemError({
      type: `${problemBase}not-found`,
      title: 'Not found',
      status: 404,
      detail: `There is no context ${name}; the contexts are ${known.join(', ')}.`,
      known,
    });
  }
  return context;
}

export function projectionNamed(runtime: Runtime, contextName: string, projection: string): Target {
  const context = contextNamed(runtime, contextName);
  if (!context.definition.projections.some((p) => p.name === projection)) throw unknownProjection(runtime, `${contextName}/${projection}`);
  return { context, projection };
}

/**
 * What a rebuild request names: one projection (found in whichever context has it,
 * or in the given one), all projections of a context, or every projection.
 */
export function rebuildTargets(runtime: Runtime, body: { context?: string | undefined; projection?: string | undefined }): Target[] {
  const contexts = body.context ? [contextNamed(runtime, body.context)] : [...runtime.contexts.values()];
  const all = contexts.flatMap((context) => context.definition.projections.map((p) => ({ context, projection: p.name })));
  if (!body.projection) return all;
  const matching = all.filter((t) => t.projection === body.projection);
  if (matching.length === 0) throw unknownProjection(runtime, body.context ? `${body.context}/${body.projection}` : body.projection);
  if (matching.length > 1) {
    const where = matching.map((t) => t.context.name).join(' and ');
    throw problems.validation({ context: [`projection ${body.projection} exists in ${where}; name the context`] });
  }
  return matching;
}

function unknownProjection(runtime: Runtime, name: string): ProblemError {
  const known = knownProjections(runtime);
  return new ProblemError({
    type: `${problemBase}not-found`,
    title: 'Not found',
    status: 404,
    detail: `There is no projection ${name}; the projections are ${known.join(', ')}.`,
    known,
  });
}

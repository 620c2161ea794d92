/** A refusal from the gateway during setup or the final checks (not part of the load). */
export class ApiError extends Error {
  readonly status: number;
  constructor(method: string, path: string, status: number, text: string) {
    super(`${method} ${path} answered ${status}: ${text.slice(0, 300)}`);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** One JSON request outside the load (setup, catch-up, rebuild); anything but 2xx throws. */
export async function api<T>(gatewayUrl: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers,
    signal: AbortSignal.timeout(30_000),
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new ApiError(method, path, response.status, text);
  return (text ? JSON.parse(text) : undefined) as T;
}

import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { getRequestListener, RequestError } from '@hono/node-server';
import { problem, problemBase, problems, type Problem } from '@eventloom/core';

/** What Node's HTTP parser refused, as the problem the client gets. */
function parserProblem(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(431, 'headers-too-large', 'Request header fields too large', 'The request line and headers may be at most 16 KiB together.').problem;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'request-timeout', 'Request timeout', 'The request did not arrive in time.').problem;
    default:
      return problems.malformed('The request is not well-formed HTTP/1.1.').problem;
  }
}

const problemJson = (answer: Problem) => new Response(JSON.stringify(answer), { status: answer.status, headers: { 'Content-Type': 'application/problem+json' } });

/**
 * The gateway's HTTP server. What Node and the Hono adapter can read goes to `fetch`;
 * what they refuse before the app sees it (headers past 16 KiB, a malformed request
 * line or header, a missing or invalid Host) is answered with problem JSON like every
 * other error, where Node would send a bare status line. Call `listen` on it.
 */
export function gatewayServer(fetch: (request: Request) => Response | Promise<Response>): Server {
  const listener = getRequestListener(fetch, {
    // Also called when `fetch` throws instead of answering; the app's onError makes that rare.
    errorHandler: (error) =>
      problemJson(
        error instanceof RequestError
          ? problems.malformed(`${error.message}.`).problem
          : { type: `${problemBase}internal`, title: 'Internal server error', status: 500, detail: 'Something went wrong on our side.' },
      ),
  });
  // Without a Host the adapter refuses the request itself, as problem JSON (Node would answer a bare 400).
  const server = createServer({ requireHostHeader: false }, listener);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A connection already gone has nobody to answer (Node's own handler does the same).
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = parserProblem(error);
    const body = JSON.stringify(answer);
    // What follows on the connection cannot be read: close it, as Node does.
    socket.end(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  return server;
}

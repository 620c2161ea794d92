import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { problem, problems, type Problem } from '@eventloom/core';

/** What Node's HTTP parser refused, as the problem the client gets. */
function problemOf(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(431, 'headers-too-large', 'Request header fields too large', 'The request line and headers may be at most 16 KiB together.').problem;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'request-timeout', 'Request timeout', 'The request did not arrive in time.').problem;
    default:
      return problems.malformed('The request is not well-formed HTTP/1.1.').problem;
  }
}

/**
 * A request Node's HTTP parser refuses (headers past 16 KiB, a malformed request line
 * or header) never reaches the app; Node would answer it with a bare status line. Here
 * it gets problem JSON like every other error, and the connection is closed, as Node
 * does, since what follows on it cannot be read.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A connection already gone has nobody to answer (Node's own handler does the same).
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = problemOf(error);
    const body = JSON.stringify(answer);
    socket.end(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

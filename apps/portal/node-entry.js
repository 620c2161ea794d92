// Starts the built portal (adapter-node) so form actions work on plain http.
//
// adapter-node 6 dropped its ORIGIN variable: without a build-time `paths.origin`
// it derives the origin from the request with protocol https, so a form POST from
// http://127.0.0.1:PORT fails SvelteKit's CSRF check. Here we tell it the real
// protocol (and, when ORIGIN is set, the public host) through private headers that
// this process writes on every request, overwriting whatever a client sent.
//
//   PORT=5173 GATEWAY_URL=http://127.0.0.1:8787 node apps/portal/start.js
//   ORIGIN=https://portal.example.com node apps/portal/start.js   (behind a proxy)
import process from 'node:process';

const protocolHeader = 'x-eventloom-origin-protocol';
const hostHeader = 'x-eventloom-origin-host';

let origin = null;
if (process.env.ORIGIN) {
	try {
		origin = new URL(process.env.ORIGIN);
	} catch {
		console.error(`ORIGIN must be an absolute URL such as http://127.0.0.1:5173, got "${process.env.ORIGIN}"`);
		process.exit(1);
	}
}

process.env.PORT ??= '5173';
process.env.HOST ??= '127.0.0.1';
process.env.PROTOCOL_HEADER = protocolHeader;
if (origin) process.env.HOST_HEADER = hostHeader;

const { server } = await import('./build/index.js');

server.prependListener('request', (req) => {
	req.headers[protocolHeader] = origin ? origin.protocol.slice(0, -1) : 'http';
	if (origin) req.headers[hostHeader] = origin.host;
});

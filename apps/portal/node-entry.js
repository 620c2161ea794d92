// The portal's server entry: the build copies this file to build/index.js (see
// vite.config.ts), in front of adapter-node's own server.
//
// adapter-node 6 dropped its ORIGIN variable: without a build-time `paths.origin`
// it derives the origin from the request with protocol https, so a form POST from
// http://127.0.0.1:PORT fails SvelteKit's CSRF check. Here we tell it the real
// protocol (and, when ORIGIN is set, the public host) through private headers that
// this process writes on every request, overwriting whatever a client sent.
// Behind a TLS proxy, PROTOCOL_HEADER/HOST_HEADER (without ORIGIN) work as usual.
//
//   PORT=5173 GATEWAY_URL=http://127.0.0.1:8787 node apps/portal/build/index.js
//   ORIGIN=https://portal.example.com node apps/portal/build/index.js   (behind a proxy)
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

const proxied = !origin && Boolean(process.env.PROTOCOL_HEADER);

process.env.PORT ??= '5173';
if (!proxied) process.env.PROTOCOL_HEADER = protocolHeader;
if (origin) process.env.HOST_HEADER = hostHeader;

const { server } = await import('./server/adapter-index.js');

if (!proxied) {
	server.prependListener('request', (req) => {
		req.headers[protocolHeader] = origin ? origin.protocol.slice(0, -1) : 'http';
		if (origin) req.headers[hostHeader] = origin.host;
	});
}

import { defineEnvVars } from '@sveltejs/kit/env';

// Read when the server starts (not inlined at build), so one build runs against any gateway.
export const variables = defineEnvVars({
	GATEWAY_URL: {
		description: 'Base URL of the Eventloom gateway, e.g. http://127.0.0.1:8787',
		schema: (value) => {
			const url = value === undefined || value === '' ? 'http://127.0.0.1:8787' : value;
			let parsed: URL;
			try {
				parsed = new URL(url);
			} catch {
				throw new Error(`GATEWAY_URL must be an absolute http(s) URL, got "${url}"`);
			}
			if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
				throw new Error(`GATEWAY_URL must use http or https, got "${url}"`);
			}
			return parsed.href.replace(/\/+$/, '');
		},
	},
});

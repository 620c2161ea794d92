/**
 * Turns the AsyncAPI document's JSON Schemas into rows a person can read: one row
 * per field (nested objects and list items flattened into dotted paths), with its
 * type, whether it is required, and its constraints in words.
 */
type JsonSchema = Record<string, unknown>;

export interface SchemaField {
	path: string;
	type: string;
	required: boolean;
	notes: string;
}

export interface ContractEvent {
	type: string;
	version: number;
	/** `{context}.{Type}.v{n}`: the CloudEvent type consumers match on. */
	cloudEventType: string;
	style: 'notification' | 'state' | 'delta';
	description: string;
	linked: boolean;
	/** The data's fields (for notifications: the full resource behind the link). */
	fields: SchemaField[];
	/** What the event carries in `data`: the thin notification's fields or the full data. */
	carried: SchemaField[];
}

export interface ContractContext {
	name: string;
	title: string;
	address: string;
	description: string;
	events: ContractEvent[];
}

const isRecord = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null && !Array.isArray(value);

function resolve(schema: unknown, root: JsonSchema): JsonSchema {
	if (!isRecord(schema)) return {};
	const ref = schema.$ref;
	if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
	let node: unknown = root;
	for (const part of ref.slice(2).split('/')) node = isRecord(node) ? node[part] : undefined;
	return isRecord(node) ? node : {};
}

function typeOf(schema: JsonSchema): string {
	if (Array.isArray(schema.enum)) return 'enum';
	if (schema.const !== undefined) return 'constant';
	if (Array.isArray(schema.anyOf)) return schema.anyOf.map((s) => typeOf(isRecord(s) ? s : {})).join(' | ');
	const type = schema.type;
	if (Array.isArray(type)) return type.join(' | ');
	if (typeof type === 'string') return type === 'array' && isRecord(schema.items) ? `list of ${typeOf(schema.items)}` : type;
	return 'any';
}

const maxSafe = Number.MAX_SAFE_INTEGER;

function notesOf(schema: JsonSchema): string {
	const notes: string[] = [];
	if (typeof schema.description === 'string') notes.push(schema.description);
	if (Array.isArray(schema.enum)) notes.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
	if (schema.const !== undefined) notes.push(`always ${JSON.stringify(schema.const)}`);
	if (typeof schema.exclusiveMinimum === 'number') notes.push(`> ${schema.exclusiveMinimum}`);
	if (typeof schema.minimum === 'number' && schema.minimum > -maxSafe) notes.push(`≥ ${schema.minimum}`);
	if (typeof schema.maximum === 'number' && schema.maximum < maxSafe) notes.push(`≤ ${schema.maximum}`);
	if (typeof schema.minLength === 'number' && schema.minLength > 0) notes.push(`at least ${schema.minLength} characters`);
	if (typeof schema.maxLength === 'number') notes.push(`at most ${schema.maxLength} characters`);
	if (typeof schema.minItems === 'number' && schema.minItems > 0) notes.push(`at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
	if (typeof schema.format === 'string') notes.push(schema.format);
	if (typeof schema.pattern === 'string') notes.push(`matches ${schema.pattern}`);
	return notes.join('; ');
}

/** Every field of an object schema, depth first, nested ones as `parent.child` and list items as `list[].field`. */
export function schemaFields(schema: unknown, root: JsonSchema = {}, prefix = ''): SchemaField[] {
	const node = resolve(schema, root);
	const properties = isRecord(node.properties) ? node.properties : {};
	const required = new Set(Array.isArray(node.required) ? node.required.map(String) : []);
	const fields: SchemaField[] = [];
	for (const [name, child] of Object.entries(properties)) {
		const resolved = resolve(child, root);
		const path = `${prefix}${name}`;
		fields.push({ path, type: typeOf(resolved), required: required.has(name), notes: notesOf(resolved) });
		if (isRecord(resolved.properties)) fields.push(...schemaFields(resolved, root, `${path}.`));
		const items = resolve(resolved.items, root);
		if (resolved.type === 'array' && isRecord(items.properties)) fields.push(...schemaFields(items, root, `${path}[].`));
	}
	return fields;
}

/** The contexts, their events and readable schemas, from an AsyncAPI 3 document as the gateway serves it. */
export function contractsOf(document: unknown): ContractContext[] {
	if (!isRecord(document)) return [];
	const channels = isRecord(document.channels) ? document.channels : {};
	const contexts: ContractContext[] = [];
	for (const channel of Object.values(channels)) {
		if (!isRecord(channel)) continue;
		const address = String(channel.address ?? '');
		const name = /^\/api\/([^/]+)\/feed$/.exec(address)?.[1] ?? address;
		const events: ContractEvent[] = [];
		for (const reference of Object.values(isRecord(channel.messages) ? channel.messages : {})) {
			const message = resolve(reference, document);
			const payload = resolve(message.payload, document);
			const properties = isRecord(payload.properties) ? payload.properties : {};
			const typeConst = isRecord(properties.type) ? String(properties.type.const ?? '') : '';
			const data = resolve(properties.data, document);
			const style = String(message['x-eventloom-style'] ?? 'state') as ContractEvent['style'];
			const version = Number(message['x-eventloom-schema-version'] ?? 1);
			const schemaName = `${name}.${String(message.name)}.v${version}`;
			const components = isRecord(document.components) && isRecord(document.components.schemas) ? document.components.schemas : {};
			events.push({
				type: String(message.name ?? ''),
				version,
				cloudEventType: typeConst,
				style,
				description: String(message.summary ?? ''),
				linked: message['x-eventloom-link'] === true,
				fields: schemaFields(components[schemaName] ?? data, document),
				carried: schemaFields(data, document),
			});
		}
		contexts.push({
			name,
			title: String(channel.title ?? name).replace(/ feed$/, ''),
			address,
			description: String(channel.description ?? ''),
			events,
		});
	}
	return contexts;
}

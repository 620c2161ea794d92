import { describe, expect, it } from 'vitest';
import { azuriteConnectionString } from './config.ts';
import { busNamespace } from './create-runtime.ts';

describe('bus namespace', () => {
  it('is the same for every process of one store, whatever the order of the connection string', () => {
    const cs = azuriteConnectionString(10000, 10002);
    const shuffled = cs.split(';').reverse().join(';');
    expect(busNamespace(shuffled, 'el')).toBe(busNamespace(cs, 'el'));
  });

  it('differs between stores that share a prefix, and between prefixes', () => {
    expect(busNamespace(azuriteConnectionString(10000, 10002), 'el')).not.toBe(busNamespace(azuriteConnectionString(20000, 20002), 'el'));
    expect(busNamespace(azuriteConnectionString(), 'el')).not.toBe(busNamespace(azuriteConnectionString(), 'other'));
  });

  it('does not depend on the account key', () => {
    const cs = azuriteConnectionString();
    expect(busNamespace(cs.replace(/AccountKey=[^;]+/, 'AccountKey=rotated'), 'el')).toBe(busNamespace(cs, 'el'));
  });
});

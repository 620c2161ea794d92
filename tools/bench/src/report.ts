import { round } from './util.ts';

export interface Figure {
  value: number;
  unit: string;
  label?: string;
}

export interface Row {
  id: string;
  scenario: string;
  eventloom: Figure;
  raw: Figure;
  ratio: number;
  /** Rows without a target are informational. */
  target?: { op: '>=' | '<='; value: number };
  details?: Record<string, unknown>;
}

export interface ScenarioContext {
  quick: boolean;
  connectionString: string;
  /** A fresh, unique table prefix for a scenario (tag = one or two letters). */
  prefix(tag: string): string;
  log(message: string): void;
}

export function passed(row: Row): boolean | undefined {
  if (!row.target || !Number.isFinite(row.ratio)) return row.target ? false : undefined;
  return row.target.op === '>=' ? row.ratio >= row.target.value : row.ratio <= row.target.value;
}

function figure(f: Figure): string {
  const digits = f.unit === 'ms' ? (f.value < 10 ? 2 : 1) : 0;
  const text = `${round(f.value, digits).toLocaleString('en-US')} ${f.unit}`;
  return f.label ? `${text} (${f.label})` : text;
}

export function table(rows: Row[]): string {
  const header = ['scenario', 'eventloom', 'raw SDK', 'ratio', 'target', 'result'];
  const body = rows.map((row) => {
    const ok = passed(row);
    return [
      row.scenario,
      figure(row.eventloom),
      figure(row.raw),
      `${round(row.ratio, row.ratio >= 10 ? 1 : 2)}${row.raw.unit === 'ms' ? '×' : ''}`,
      row.target ? `${row.target.op} ${row.target.value}${row.raw.unit === 'ms' ? '×' : ''}` : 'info',
      ok === undefined ? '' : ok ? 'PASS' : 'FAIL',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

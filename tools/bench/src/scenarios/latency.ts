import type { Row, ScenarioContext } from '../report.ts';
export async function latencyScenario(_ctx: ScenarioContext): Promise<Row[]> { return []; }

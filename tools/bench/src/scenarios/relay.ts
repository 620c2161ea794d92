import type { Row, ScenarioContext } from '../report.ts';
export async function relayScenario(_ctx: ScenarioContext): Promise<Row[]> { return []; }

import type { Row, ScenarioContext } from '../report.ts';
export async function longStreamScenario(_ctx: ScenarioContext): Promise<Row[]> { return []; }

/** The two engines every hostile case runs against: the native addon (when built) and the JavaScript engine. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO } from '../../helpers/cli.js';

export type EngineName = 'native' | 'js';

/** One engine: its name and the environment that selects it. */
export interface Engine {
  readonly name: EngineName;
  readonly env: NodeJS.ProcessEnv;
  /** Why this engine cannot run here, or undefined. */
  readonly missing?: string;
}

function envWithout(name: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[name];
  return env;
}

const addonBuilt = existsSync(join(REPO, 'build/Release/absync_native.node'));

export const ENGINES: readonly Engine[] = [
  { name: 'native', env: envWithout('ABSYNC_NO_NATIVE'), ...(addonBuilt ? {} : { missing: 'the native addon is not built (no C compiler at npm ci?)' }) },
  { name: 'js', env: { ...process.env, ABSYNC_NO_NATIVE: '1' } },
];

/** What a case is known to do today on an engine: a todo reason per engine that fails (issue 11). */
export type Todos = Partial<Record<EngineName, string>>;

/**
 * Declares one test per engine. An engine listed in `todos` fails today: its test is marked todo (the assertion stays
 * strict), so the suite is green until the fix lands and then reports the todo as passing.
 */
export function bothEngines(name: string, todos: Todos, fn: (engine: Engine) => Promise<void> | void): void {
  for (const engine of ENGINES) {
    const todo = todos[engine.name];
    const title = `${engine.name}: ${name}`;
    if (engine.missing) it(title, { skip: engine.missing }, () => undefined);
    else it(title, todo ? { todo } : {}, () => fn(engine));
  }
}

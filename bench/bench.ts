/**
 * `npm run bench`: gulp-absync (CLI and library API) against `rsync -a --delete` and `cp -a` on generated trees.
 * See bench/README.md. Progress goes to stderr; the report to stdout (or JSON with --json).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseConfig, USAGE, UsageError, type Config, type SetName } from './args.js';
import { generate, type Generated } from './generate.js';
import { describeMachine, machineInfo, rsyncVersion } from './machine.js';
import { evaluateTargets, jsonReport, problemLines, resultsTable, setTitle, targetsTable } from './report.js';
import { firstCopy, mutatedScenario, setupCopies, type Bench, type SetState } from './rounds.js';
import { Results } from './stats.js';
import { DiskProbe, SLOW_US } from './disk-probe.js';
import { ApiHost, memoryMethod } from './tools.js';
import { BUILT_CLI, freezeCode } from './code.js';
import { snapshot } from './verify.js';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Removes the benchmark's data with two `rm -rf` at a time (deleting is slow here; two in parallel is ~2x faster). */
async function removeAll(base: string): Promise<number> {
  const t0 = performance.now();
  const targets: string[] = [];
  for (const set of readdirSync(base)) {
    const setDir = join(base, set);
    for (const sub of readdirSync(setDir, { withFileTypes: true })) {
      if (sub.name === 'first-copy' && sub.isDirectory()) {
        for (const d of readdirSync(join(setDir, sub.name))) targets.push(join(setDir, sub.name, d));
      } else targets.push(join(setDir, sub.name));
    }
  }
  const worker = async (): Promise<void> => {
    for (let t = targets.shift(); t !== undefined; t = targets.shift()) {
      await new Promise<void>((resolve) => spawn('rm', ['-rf', t], { stdio: 'ignore' }).on('close', () => resolve()));
    }
  };
  await Promise.all([worker(), worker()]);
  rmSync(base, { recursive: true, force: true });
  // Written-out inode tables shorten the time new files avoid the deleted inodes from 360 s to 60 s (rounds.ts).
  spawnSync('sync', { stdio: 'ignore' });
  return performance.now() - t0;
}

/** Where a run notes when it deleted its data, so that the next run can let the disk settle first. */
function lastDeleteMark(config: Config): string {
  return join(config.baseDir, '.absync-bench-last-delete');
}

async function settleAfterLastRun(config: Config): Promise<void> {
  let at: number;
  try {
    at = Number(readFileSync(lastDeleteMark(config), 'utf8'));
  } catch {
    return;
  }
  const ago = Date.now() - at;
  if (!Number.isFinite(ago) || ago < 0 || ago >= Math.max(config.settle, 60) * 1000) return;
  if (config.settle === 0) {
    log(`note: a previous benchmark deleted its data ${(ago / 1000).toFixed(0)} s ago; file creation may be slower here for the first minute`);
    return;
  }
  const wait = Math.max(0, config.settle * 1000 - ago);
  log(`a previous benchmark deleted its data ${(ago / 1000).toFixed(0)} s ago: waiting ${(wait / 1000).toFixed(0)} s for the disk to settle`);
  await sleep(wait);
}

async function main(): Promise<number> {
  // The remote set (issue 16) runs on its own: a private sshd, rsync over ssh, a delaying proxy (bench/remote.ts).
  const { wantsRemote, remoteBench } = await import('./remote.js');
  if (wantsRemote(process.argv.slice(2))) return remoteBench(process.argv.slice(2));
  let config: Config | 'help';
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    log(`bench: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const keep = config.keep;
  if (rsyncVersion() === undefined) {
    log('rsync not found: apt-get install -y rsync');
    return 1;
  }
  if (!existsSync(join(BUILT_CLI, 'cli.js'))) {
    log(`bench: ${BUILT_CLI}/cli.js is missing: run npm run build (npm run bench builds first)`);
    return 1;
  }
  process.umask(0o022);
  mkdirSync(config.baseDir, { recursive: true });
  await settleAfterLastRun(config);
  const started = performance.now();
  const base = mkdtempSync(join(config.baseDir, 'absync-bench-'));
  const scratch = join(base, '.scratch');
  mkdirSync(scratch);
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(keep ? `\ninterrupted: data kept in ${base}` : `\ninterrupted: removing ${base}`);
    if (!keep) {
      rmSync(base, { recursive: true, force: true });
      writeFileSync(lastDeleteMark(config), String(Date.now()));
    }
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const code = freezeCode(join(base, 'code'));
  const machine = machineInfo(base);
  for (const l of describeMachine(machine)) log(l);
  log(`gulp-absync ${code.version}, frozen for this run in ${code.srcDir}; scanner: ${code.scanner}`);
  log(`data in ${base}; sets ${config.sets.map((s) => s.name).join(', ')}; tools ${config.tools.join(', ')}${config.quick ? '; quick mode' : ''}`);

  const api = new ApiHost();
  const results = new Results();
  const disk = new DiskProbe(join(base, 'probe'), config.settle * 3);
  const bench: Bench = { config, results, tools: { api, scratch, cli: code.cli }, log, notes: [], syncMs: 0, disk, slowed: new Set() };
  const generated = new Map<SetName, Generated>();
  const states: SetState[] = [];
  const phases: string[] = [];
  const wantApi = config.tools.includes('api');
  if (wantApi) await api.start(code.srcDir);

  try {
    // All first copies first: no mass delete (the rename scenario's) comes before a first copy.
    for (const plan of config.sets) {
      const root = join(base, plan.name);
      const src = join(root, 'src');
      const gen = generate(src, plan.shape, `${config.seed}:${plan.name}`);
      generated.set(plan.name, gen);
      log(`${setTitle(plan.name, gen)}: generated in ${(gen.ms / 1000).toFixed(1)} s; largest folder ${gen.largestFolder} (${gen.largestFolderFiles} files)`);
      const state: SetState = { plan, root, src, gen, dst: new Map(), snap: snapshot(src) };
      states.push(state);
      const t0 = performance.now();
      if (plan.scenarios.includes('first-copy')) await firstCopy(bench, state);
      else await setupCopies(bench, state);
      phases.push(`${plan.name} first copy ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    // Then the rest, renames last: rsync's re-copy of the renamed folder is a mass delete, which slows file
    // creation on this disk for about a minute.
    const t0 = performance.now();
    for (const state of states) {
      for (const s of state.plan.scenarios) if (s !== 'first-copy' && s !== 'rename') await mutatedScenario(bench, state, s);
    }
    phases.push(`no-change, rewritten and deleted ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const t1 = performance.now();
    for (const state of states) if (state.plan.scenarios.includes('rename')) await mutatedScenario(bench, state, 'rename');
    phases.push(`renamed ${((performance.now() - t1) / 1000).toFixed(0)} s`);
  } catch (e) {
    if (!keep) {
      log(`bench failed: removing ${base}`);
      await removeAll(base);
      writeFileSync(lastDeleteMark(config), String(Date.now()));
    }
    throw e;
  } finally {
    if (wantApi) api.stop();
  }

  const benchMs = performance.now() - started;
  const out: string[] = [];
  out.push('', `gulp-absync ${code.version}, scanner: ${code.scanner}`, ...describeMachine(machine), `load average at end: ${(loadavg()[0] ?? 0).toFixed(2)}`);
  if (wantApi) out.push(`library API: sync() from ${api.from}, in a separate long-lived node process (timed inside it)`);
  out.push(`peak memory: ${memoryMethod()}`);
  out.push(`timed rounds (after one warm-up, except for a single first copy): ${config.sets.map((s) => `${s.name} ${s.scenarios.map((sc) => `${sc} ${s.rounds[sc]}`).join(', ')}`).join('; ')}`);
  for (const plan of config.sets) out.push(`set ${setTitle(plan.name, generated.get(plan.name))}`);
  out.push('', 'medians (WRONG = a run did not leave an exact mirror; see below):', '');
  out.push(...resultsTable(config, results, generated));
  out.push('', ...targetsTable(evaluateTargets(results, bench.slowed)));
  const probes = disk.probes.map((p) => `${p.usPerFile.toFixed(0)}${p.slow ? '!' : ''}${p.waitedS > 0 ? ` (after ${p.waitedS} s)` : ''}`);
  out.push('', `disk probe, us per empty file created (normal 20-50; ! = slowed, over ${SLOW_US}), before each first-copy round and each other scenario: ${probes.join(', ')}`);
  if (bench.slowed.size > 0) {
    out.push(`note: ${[...bench.slowed].join(', ')}: some timed rounds ran while file creation was slowed (recently deleted inodes, see bench/README.md); their times measure the disk more than the tools, and their target marks say "disk slowed"`);
  }
  if (!config.standard) out.push('', `${config.quick ? 'quick mode: ' : ''}the sets are not the sizes the issue names, so the target marks are indicative only.`);
  if (bench.notes.length > 0) out.push('', ...bench.notes.map((n) => `note: ${n}`));
  const wrong = problemLines(results);
  if (wrong.length > 0) out.push('', ...wrong);
  out.push('', `benchmark took ${(benchMs / 1000).toFixed(0)} s (${phases.join(', ')}; of which ${(bench.syncMs / 1000).toFixed(0)} s in the untimed sync before each run)`);

  let cleanupMs: number | undefined;
  if (config.keep) out.push(`data kept in ${base}`);
  else {
    log(`removing ${base} ...`);
    cleanupMs = await removeAll(base);
    writeFileSync(lastDeleteMark(config), String(Date.now()));
    out.push(`removing the data took ${(cleanupMs / 1000).toFixed(0)} s (not timed: nothing is deleted while a tool runs)`);
  }
  if (config.json) {
    for (const l of out) log(l);
    const extra = { diskProbes: disk.probes, slowed: [...bench.slowed], absync: code.version, scanner: code.scanner, benchSeconds: benchMs / 1000, cleanupSeconds: cleanupMs === undefined ? undefined : cleanupMs / 1000, notes: bench.notes, apiFrom: api.from };
    process.stdout.write(`${JSON.stringify(jsonReport(config, machine, results, generated, extra), null, 2)}\n`);
  } else process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    log(`bench: ${(e as Error)?.stack ?? String(e)}`);
    process.exitCode = 1;
  },
);

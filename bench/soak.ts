/**
 * Soak test (opt-in: `npm run soak -- --minutes 2`): the watch wrapper runs while a writer churns the source
 * (creates, edits, renames, deletes). At the end the destination must converge within one run, memory and open file
 * handles must stay flat, and the log must show no crash. Prints the figures recorded in the README.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { absyncWatch } from '../src/index.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '2' }, seed: { type: 'string', default: '7' } } });
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('--minutes takes a positive number');

/** mulberry32: a small seeded PRNG, so a failing soak can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function describeTree(root: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, r), { bigint: true });
    if (st.isDirectory()) {
      out[r] = `dir ${st.mode & 0o7777n}`;
      Object.assign(out, describeTree(root, r));
    } else {
      const h = createHash('sha1').update(readFileSync(join(root, r))).digest('hex');
      out[r] = `file ${st.size} ${h} ${st.mode & 0o7777n} ${st.mtimeNs / 1000n}`;
    }
  }
  return out;
}

const openFiles = (): number => readdirSync('/proc/self/fd').length;
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'absync-soak-'));
  const source = join(root, 'src');
  const destination = join(root, 'dst');
  const logFile = join(root, 'soak.log');
  const rand = prng(Number(values.seed));
  const dirs = Array.from({ length: 20 }, (_, i) => `d${i}`);
  for (const d of dirs) mkdirSync(join(source, d), { recursive: true });
  for (let i = 0; i < 500; i++) writeFileSync(join(source, dirs[i % 20] as string, `f${i}`), Buffer.alloc(Math.floor(rand() * 8192), i));

  let runs = 0;
  let failedEntries = 0;
  let refused = 0;
  const watch = absyncWatch({
    source, destination, logFile, log: false, debounce: 100, interval: 5,
    onRun: (run) => {
      runs++;
      failedEntries += run.summary?.failed ?? 0;
      if (run.error) refused++;
    },
  });
  await watch.ready;
  await watch.idle();
  gc?.();
  const start = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, fds: openFiles() };

  // Churn: one random operation every few milliseconds until time is up.
  const until = Date.now() + minutes * 60_000;
  let ops = 0;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const filesAtStart = Object.keys(describeTree(source)).length;
  while (Date.now() < until) {
    const dir = join(source, pick(dirs));
    try {
      const names = readdirSync(dir);
      // Creates and deletes balance out, so the tree keeps its size and memory figures stay comparable.
      const r = rand();
      if (r < 0.3 || names.length === 0) writeFileSync(join(dir, `n${ops}`), Buffer.alloc(Math.floor(rand() * 16384), ops));
      else if (r < 0.6) appendFileSync(join(dir, pick(names)), 'edit\n');
      else if (r < 0.7) renameSync(join(dir, pick(names)), join(source, pick(dirs), `r${ops}`));
      else rmSync(join(dir, pick(names)), { recursive: true, force: true });
    } catch {
      /* the tree moved under this op: fine, that is the point */
    }
    ops++;
    await new Promise((r) => setTimeout(r, 5));
  }

  // Quiet: one more run must bring the destination to an exact mirror.
  await watch.idle();
  watch.sync();
  await watch.nextRun();
  await watch.idle();
  const finalTree = describeTree(source);
  const converged = JSON.stringify(finalTree) === JSON.stringify(describeTree(destination));
  gc?.();
  const end = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, fds: openFiles() };
  await watch.close();
  const log = readFileSync(logFile, 'utf8');
  const crashes = log.split('\n').filter((l) => /internal error|TypeError|ReferenceError|stack/i.test(l)).length;

  console.log(`soak: ${minutes} min, ${ops} source operations, ${runs} runs (${refused} refused), ${failedEntries} failed entries (retried by later runs)`);
  console.log(`tree: ${filesAtStart} entries at start, ${Object.keys(finalTree).length} at the end`);
  console.log(`memory: rss ${mb(start.rss)} -> ${mb(end.rss)}, heap ${mb(start.heap)} -> ${mb(end.heap)}${gc ? '' : ' (run with --expose-gc for exact heap figures)'}`);
  console.log(`open files: ${start.fds} -> ${end.fds}`);
  console.log(`log: ${log.split('\n').length - 1} lines, ${crashes} crash lines`);
  console.log(`converged after one quiet run: ${converged ? 'yes' : 'NO'}`);
  rmSync(root, { recursive: true, force: true });
  const flat = end.fds <= start.fds + 2 && end.heap < start.heap * 2 + 16 * 1048576;
  if (!converged || crashes > 0 || !flat) {
    console.log('soak: FAILED');
    process.exitCode = 1;
  } else console.log('soak: ok');
}

await main();

/**
 * `npm run bench -- --sets remote`: absync into a folder over SSH against `rsync -a --delete -e ssh` to the same
 * private loopback OpenSSH server (test/helpers/sshd.ts), in the same run, directly and through a delaying TCP proxy
 * (bench/delay-proxy.ts; default 20 ms round trip). absync runs both into an account that may run commands (exec scan,
 * microsecond mtimes) and into an SFTP-only account (`ForceCommand internal-sftp`). Prints the issue's table with
 * PASS/FAIL marks. Every run is verified (metadata of every entry; content of what changed).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSshd, sshdUnavailable, type SshServer } from '../test/helpers/sshd.js';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';
import { generate } from './generate.js';
import { freezeCode } from './code.js';
import { DiskProbe, type Probe } from './disk-probe.js';
import { rsyncVersion } from './machine.js';
import { remoteTable, remoteTargets, RemoteResults, type Net, type RemoteScenario } from './remote-report.js';
import { runRemoteTool, type Endpoint, type RemoteTool } from './remote-tools.js';
import { mutate } from './scenarios.js';
import { compareContent, compareMeta, snapshot, type TreeSnapshot } from './verify.js';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Whether bench.ts's arguments ask for the remote set. */
export function wantsRemote(argv: readonly string[]): boolean {
  const i = argv.indexOf('--sets');
  const sets = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--sets='))?.slice(7);
  return (sets ?? process.env.BENCH_SETS ?? '').split(',').includes('remote');
}

/** Whole seconds, for checking the SFTP-only account's copies (SFTP v3 keeps no more). */
function toSeconds(s: TreeSnapshot): TreeSnapshot {
  return new Map([...s].map(([k, m]) => [k, { ...m, mtimeNs: (m.mtimeNs / 1_000_000_000n) * 1_000_000_000n }]));
}

function verify(src: string, srcSnap: TreeSnapshot, dst: string, tool: RemoteTool, changed: readonly string[] | 'all'): string[] {
  const seconds = tool === 'absync-sftp';
  const problems = compareMeta(seconds ? toSeconds(srcSnap) : srcSnap, seconds ? toSeconds(snapshot(dst)) : snapshot(dst));
  const files = changed === 'all' ? [...srcSnap].filter(([, m]) => m.kind === 'file').map(([k]) => k) : changed;
  return [...problems, ...compareContent(src, dst, files)];
}

/** Waits for the next whole second: rsync misses changes made in the second of its last sync (PERFORMANCE.md). */
async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 20);
}

export async function remoteBench(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sets: { type: 'string' }, rounds: { type: 'string' }, 'remote-files': { type: 'string' }, 'remote-dirs': { type: 'string' },
      'large-mib': { type: 'string' }, rtt: { type: 'string' }, 'rtt-files-in-flight': { type: 'string' }, dir: { type: 'string' },
      quick: { type: 'boolean' }, keep: { type: 'boolean' }, seed: { type: 'string' },
    },
    strict: false,
  });
  const why = sshdUnavailable();
  if (why) {
    log(`bench: remote set: ${why}`);
    return 1;
  }
  if (rsyncVersion() === undefined) {
    log('rsync not found: apt-get install -y rsync');
    return 1;
  }
  const quick = values.quick === true;
  const files = Number(values['remote-files'] ?? (quick ? 2000 : 20_000));
  const dirs = Number(values['remote-dirs'] ?? Math.max(10, Math.round(files / 10)));
  const largeMib = Number(values['large-mib'] ?? (quick ? 16 : 64));
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  const rttMs = Number(values.rtt ?? 20);
  const rttInFlight = Number(values['rtt-files-in-flight'] ?? 512);
  const seed = String(values.seed ?? 'absync');
  const nets: Net[] = rttMs > 0 ? ['loopback', 'rtt'] : ['loopback'];
  const standard = files === 20_000 && dirs === 2000 && largeMib === 64;
  const base = mkdtempSync(join(String(values.dir ?? tmpdir()), 'absync-bench-remote-'));
  const servers: SshServer[] = [];
  const proxies: DelayProxy[] = [];
  const results = new RemoteResults();
  const problems: string[] = [];
  try {
    // The build under test, frozen for the run (a rebuild of dist/ meanwhile cannot change it halfway).
    const code = freezeCode(join(base, 'code'));
    const execServer = await startSshd({});
    servers.push(execServer);
    const sftpServer = await startSshd({ sftpOnly: true });
    servers.push(sftpServer);
    const endpoint = (srv: SshServer, port: number): Endpoint => {
      const knownHosts = join(base, `known_hosts.${port}`);
      writeFileSync(knownHosts, `[127.0.0.1]:${port} ${srv.hostKey}\n`);
      return { port, user: srv.user, key: srv.key, knownHosts };
    };
    const ends: Record<Net, { exec: Endpoint; sftp: Endpoint }> = {
      loopback: { exec: endpoint(execServer, execServer.port), sftp: endpoint(sftpServer, sftpServer.port) },
      rtt: { exec: endpoint(execServer, execServer.port), sftp: endpoint(sftpServer, sftpServer.port) },
    };
    if (rttMs > 0) {
      const pe = await startDelayProxy(execServer.port, rttMs / 2);
      const ps = await startDelayProxy(sftpServer.port, rttMs / 2);
      proxies.push(pe, ps);
      ends.rtt = { exec: endpoint(execServer, pe.port), sftp: endpoint(sftpServer, ps.port) };
    }
    const tools: RemoteTool[] = ['rsync', 'absync-exec', 'absync-sftp'];
    const firstRounds = Math.min(rounds, 3);
    const endpointOf = (net: Net, tool: RemoteTool): Endpoint => (tool === 'absync-sftp' ? ends[net].sftp : ends[net].exec);
    const inFlight = (net: Net): number => (net === 'rtt' ? rttInFlight : 64);

    const src = join(base, 'small', 'src');
    const gen = generate(src, { kind: 'tree', files, dirs, maxSize: 16 << 10, symlinks: 10 }, `${seed}:small`);
    log(`remote set: ${gen.files} files in ${gen.dirs} folders (${(gen.bytes / 2 ** 20).toFixed(0)} MiB), generated in ${(gen.ms / 1000).toFixed(1)} s; rounds ${rounds}; RTT runs at ${rttMs} ms with ${rttInFlight} files in flight`);
    let srcSnap = snapshot(src);
    const dst = (net: Net, tool: RemoteTool): string => join(base, 'small', `${net}-${tool}`);

    const once = async (scenario: RemoteScenario, net: Net, tool: RemoteTool, from: string, to: string, changed: readonly string[] | 'all'): Promise<void> => {
      // As the local set (rounds.ts flushDisk): no tool pays for writing back the one before it (untimed).
      spawnSync('sync', { stdio: 'ignore' });
      const r = await runRemoteTool({ tool, src: from, dst: to, endpoint: endpointOf(net, tool), filesInFlight: inFlight(net), cli: code.cli });
      const bad = r.error ? [r.error] : verify(from, scenario === 'large-first-copy' ? snapshot(from) : srcSnap, to, tool, changed);
      if (bad.length > 0) problems.push(`${scenario} ${net} ${tool}: ${bad.slice(0, 3).join('; ')}`);
      results.add(scenario, net, tool, { ms: r.ms, ...(r.peakRssKiB !== undefined ? { peakRssKiB: r.peakRssKiB } : {}), ...(bad.length > 0 ? { error: bad[0] as string } : {}) });
      log(`  ${scenario} ${net} ${tool}: ${(r.ms / 1000).toFixed(2)} s${r.scanMode ? ` (${r.scanMode} scan)` : ''}${r.peakRssKiB ? `, peak ${(r.peakRssKiB / 1024).toFixed(0)} MB` : ''}${bad.length > 0 ? `  WRONG: ${bad[0]}` : ''}`);
    };

    // First copies before anything deletes (a mass delete slows file creation here for a minute). Each waits, a
    // bounded time, for file creation to be in its normal state (another run's data removal slows it: disk-probe.ts).
    // Up to three rounds, each copy into a new folder (the first round's are the ones the later scenarios sync): one
    // sample on this disk moved from 1.03x to 1.40x between runs of the same code. The order turns from one network
    // and one round to the next, so that each tool takes each place.
    const disk = new DiskProbe(join(base, 'disk-probe'), 180);
    const slowed: Probe[] = [];
    for (let round = 0; round < firstRounds; round++) {
      for (const [k, net] of nets.entries()) {
        const turned = [...tools.slice(round % tools.length), ...tools.slice(0, round % tools.length)];
        for (const tool of k % 2 === 0 ? turned : [...turned].reverse()) {
          const probe = await disk.check(`first copy ${net} ${tool}`, 60, log);
          if (probe.slow) slowed.push(probe);
          await once('first-copy', net, tool, src, round === 0 ? dst(net, tool) : `${dst(net, tool)}-${round + 1}`, 'all');
        }
      }
    }
    for (const scenario of ['no-change', 'rewrite', 'rename'] as const) {
      const n = scenario === 'rename' ? Math.min(rounds, 2) : rounds;
      for (let round = 0; round < n; round++) {
        const m = mutate(scenario, src, srcSnap, `${seed}:${scenario}:${round}`, { largestFolder: gen.largestFolder, maxSize: 16 << 10 });
        srcSnap = snapshot(src);
        await nextSecond();
        log(`${scenario} round ${round + 1}: ${m.summary}`);
        const order = round % 2 === 0 ? tools : [...tools].reverse();
        for (const net of nets) for (const tool of order) await once(scenario, net, tool, src, dst(net, tool), m.changed);
      }
    }

    // Big files: throughput, against scp too.
    const large = join(base, 'large', 'src');
    generate(large, { kind: 'large', files: 4, size: largeMib << 20 }, `${seed}:large`);
    let scpMs: number | undefined;
    for (const tool of [...tools, 'scp'] as RemoteTool[]) {
      const to = join(base, 'large', tool);
      if (tool === 'scp') {
        spawnSync('sync', { stdio: 'ignore' });
        const r = await runRemoteTool({ tool, src: large, dst: to, endpoint: ends.loopback.exec, filesInFlight: 64, cli: code.cli });
        scpMs = r.error ? undefined : r.ms;
        log(`  large-first-copy loopback scp: ${(r.ms / 1000).toFixed(2)} s${r.error ? ` ${r.error}` : ''}`);
      } else await once('large-first-copy', 'loopback', tool, large, to, 'all');
    }
    const mib = (4 * largeMib);
    const absyncMs = results.median('large-first-copy', 'loopback', 'absync-exec');
    const throughput = absyncMs !== undefined && scpMs !== undefined ? { absync: mib / (absyncMs / 1000), scp: mib / (scpMs / 1000) } : undefined;

    const scenarios: RemoteScenario[] = ['first-copy', 'no-change', 'rewrite', 'rename', 'large-first-copy'];
    const out = [
      `remote set: ${gen.files} files of 0-16 KiB in ${gen.dirs} folders; largest folder ${gen.largestFolder} (${gen.largestFolderFiles} files); ${4} x ${largeMib} MiB; medians of ${rounds} round(s) (first copies: ${firstRounds})`,
      'absync times include its Node start, the connection and the probe, as rsync\'s include ssh\'s; absync (exec) and rsync log in to the same account; absync (SFTP only) to a ForceCommand internal-sftp account of the same server',
      '',
      ...remoteTable(results, scenarios, nets, rttMs),
      '',
      ...remoteTargets(results, standard, throughput),
    ];
    if (slowed.length > 0) out.push('', `file creation was slowed (over 100 us per empty file) before: ${slowed.map((p) => `${p.where} (${p.usPerFile.toFixed(0)} us)`).join(', ')}: those first copies measured the disk as much as the tools`);
    if (problems.length > 0) out.push('', 'WRONG (a run that did not leave an exact mirror is not counted):', ...problems.map((p) => `- ${p}`));
    process.stdout.write(`${out.join('\n')}\n`);
    return problems.length > 0 ? 1 : 0;
  } finally {
    for (const p of proxies) await p.close();
    for (const s of servers) await s.stop();
    if (values.keep !== true) {
      log(`removing ${base}`);
      rmSync(base, { recursive: true, force: true });
    } else log(`data kept in ${base}`);
  }
}

/** Run directly: node dist/bench/remote.js [flags]. */
if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(tmpdir(), { recursive: true });
  remoteBench(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    log(`bench: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}

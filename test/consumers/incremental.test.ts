/**
 * Issue 12, points 2 and 4: incremental streams (`since: gulp.lastRun(task)`) give a correct mirror in
 * `series(mirror, edit, mirror)` and under `gulp.watch`; an empty stream changes nothing; a narrowed glob still
 * deletes what its source lost; refusals name the stream's folder; a destination inside it is refused at once.
 *
 * gulp's `since` keeps a file whose mtime or ctime is after the previous run's start; the kernel stamps files from
 * a clock that may lag the one gulp reads by a few milliseconds. So the edits here set their mtimes a minute ahead,
 * which gulp's filter is sure to see: what is under test is the mirror of the stream gulp gives, not that race.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { assertMirror, inodes, isMirror, readTree, writeTree, type TreeSpec } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';
import { BOUNDED, consumerInstall, project, type Project } from './project.js';

before(() => consumerInstall(), { timeout: 600_000 });

/** 30 entries: 26 files at the top and in folders, an empty folder, a dot file. */
function site(): TreeSpec {
  const spec: TreeSpec = { 'site/index.html': '<h1>home</h1>\n', 'site/.htaccess': 'deny\n', 'site/empty': { dir: true } };
  for (const d of ['css', 'js', 'img']) for (let i = 0; i < 8; i++) spec[`site/${d}/f${i}.${d}`] = `${d} ${i}\n`;
  return spec;
}

const GULPFILE = `
import { utimesSync, writeFileSync } from 'node:fs';
import gulp from 'gulp';
import { absync } from 'gulp-absync';

const report = (name) => (s) => console.log(name + ' ' + JSON.stringify({ copied: s.copied, updated: s.updated, deleted: s.deleted, moved: s.moved }));

export function mirror() {
  return gulp.src('site/**', { dot: true, encoding: false, since: gulp.lastRun(mirror) })
    .pipe(absync('deploy')).on('summary', report('mirror'));
}
/** The same, with the base folder itself in the stream: a delete directly in site/ then changes site's times. */
export function mirrorWithBase() {
  return gulp.src(['site', 'site/**'], { base: 'site', dot: true, encoding: false, since: gulp.lastRun(mirrorWithBase) })
    .pipe(absync('deploy')).on('summary', report('mirror'));
}
function edit(done) {
  writeFileSync('site/css/f0.css', 'edited\\n');
  const ahead = new Date(Date.now() + 60_000);
  utimesSync('site/css/f0.css', ahead, ahead);
  done();
}
export const twice = gulp.series(mirror, edit, mirror);
export const again = gulp.series(mirror, mirror);

export function watch() {
  const watcher = gulp.watch(['site', 'site/**'], gulp.series(mirrorWithBase));
  watcher.on('ready', () => console.log('watch ready'));
  return new Promise(() => undefined);
}

export const css = () => gulp.src('site/**/*.css', { encoding: false }).pipe(absync('out/css')).on('summary', report('css'));
export const cssOnly = () => gulp.src('site/**/*.css', { encoding: false }).pipe(absync('out/css', { onlyStreamed: true }));
export const nested = () => gulp.src('site/**', { encoding: false }).pipe(absync('site/deploy'));
export const empty = () => gulp.src('nothing/**').pipe(absync('deploy'));
export const emptied = () => gulp.src('nothing/**').pipe(absync('deploy', { allowEmptySource: true })).on('summary', report('emptied'));
export const partial = () => gulp.src('site/index.html', { base: 'site' }).pipe(absync('deploy', { onlyStreamed: true }));
`;

function summaries(output: string, name: string): Record<string, number>[] {
  return [...output.matchAll(new RegExp(`^${name} (\\{.*\\})$`, 'gm'))].map((m) => JSON.parse(m[1] as string) as Record<string, number>);
}

async function siteProject(extra: TreeSpec = {}): Promise<Project> {
  return project({ type: 'module', files: { ...site(), ...extra, 'gulpfile.js': GULPFILE } });
}

const ahead = (path: string): void => {
  const t = new Date(Date.now() + 60_000);
  utimesSync(path, t, t);
};

test('series(mirror, edit, mirror) with since: lastRun: the second run updates one file and deletes nothing', BOUNDED, async () => {
  const p = await siteProject();
  const r = p.gulp(['twice']);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(summaries(r.stdout, 'mirror'), [
    { copied: 26, updated: 0, deleted: 0, moved: 0 },
    { copied: 0, updated: 1, deleted: 0, moved: 0 },
  ]);
  assertMirror(join(p.dir, 'site'), join(p.dir, 'deploy'), { dirMtimes: false });
  assert.equal(readFileSync(join(p.dir, 'deploy/css/f0.css'), 'utf8'), 'edited\n');
});

test('nothing changed: the empty stream is logged, not refused, and changes nothing', BOUNDED, async () => {
  const p = await siteProject();
  assert.equal(p.gulp(['mirror']).code, 0);
  const before = inodes(join(p.dir, 'deploy'));
  const r = p.gulp(['again']);
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /gulp-absync: the stream carried no files: nothing to mirror, .*deploy left as it is \(allowEmptySource: true lets an empty stream empty it\)/);
  assert.doesNotMatch(r.output, /empty and would delete|refusing/);
  assert.deepEqual(inodes(join(p.dir, 'deploy')), before);

  const missing = p.gulp(['empty']);
  assert.equal(missing.code, 0, missing.output);
  assert.deepEqual(inodes(join(p.dir, 'deploy')), before, 'a glob that matches nothing changes nothing either');
  const emptied = p.gulp(['emptied']);
  assert.equal(emptied.code, 0, emptied.output);
  assert.deepEqual(readTree(join(p.dir, 'deploy')), {}, 'allowEmptySource: an empty stream empties dest');
});

test('under gulp.watch: edit, add, delete, rename (of a file, and directly in the base folder) keep an exact mirror', BOUNDED, async () => {
  const p = await siteProject();
  const w = p.start(['watch']);
  const src = join(p.dir, 'site');
  const dst = join(p.dir, 'deploy');
  const mirrored = (what: string) => until(() => isMirror(src, dst, { dirMtimes: false }), what, 20_000);
  try {
    // gulp.watch runs nothing at start: the first change makes the first (full) run.
    await until(() => w.output().includes('watch ready'), 'the watcher', 20_000);
    writeFileSync(join(src, 'css/f1.css'), 'edited\n');
    ahead(join(src, 'css/f1.css'));
    await mirrored('the first run');
    const runs = (): number => summaries(w.output(), 'mirror').length;

    writeFileSync(join(src, 'js/f2.js'), 'edited again\n');
    ahead(join(src, 'js/f2.js'));
    await mirrored('an edit');
    writeFileSync(join(src, 'img/new.img'), 'added\n');
    ahead(join(src, 'img/new.img'));
    await mirrored('an add');
    rmSync(join(src, 'js/f3.js'));
    ahead(join(src, 'js'));
    await mirrored('a delete in a folder');
    renameSync(join(src, 'css/f4.css'), join(src, 'css/renamed.css'));
    ahead(join(src, 'css/renamed.css'));
    await mirrored('a rename');
    rmSync(join(src, '.htaccess'));
    ahead(src);
    await mirrored('a delete in the base folder');
    // The mirror can be whole a moment before the run prints its summary.
    await until(() => runs() >= 6, 'the sixth run\'s summary', 20_000);
    // Each incremental run wrote only what changed: never a wholesale delete and copy.
    for (const s of summaries(w.output(), 'mirror').slice(1)) assert.ok(Number(s.deleted) <= 1 && Number(s.copied) + Number(s.updated) <= 1, JSON.stringify(s));
    assert.ok(summaries(w.output(), 'mirror').some((s) => s.moved === 1), 'the rename was a move');
    assert.doesNotMatch(w.output(), /refusing|errored/);
  } finally {
    w.child.kill('SIGINT');
    await w.exited;
  }
});

test('a narrowed glob (site/**/*.css into out/css) still deletes what its source lost; onlyStreamed deletes the rest', BOUNDED, async () => {
  const p = await siteProject({ 'out/css/stray.txt': 'not in site', 'out/css/index.html': 'in site, not in the stream' });
  const first = p.gulp(['css']);
  assert.equal(first.code, 0, first.output);
  const css = (): string[] => Object.keys(readTree(join(p.dir, 'out/css'))).sort();
  assert.deepEqual(css(), ['css', ...Array.from({ length: 8 }, (_, i) => `css/f${i}.css`), 'index.html']);
  assert.equal(readFileSync(join(p.dir, 'out/css/index.html'), 'utf8'), 'in site, not in the stream', 'kept: site/index.html exists');

  rmSync(join(p.dir, 'site/css/f7.css'));
  const second = p.gulp(['css']);
  assert.equal(second.code, 0, second.output);
  assert.deepEqual(summaries(second.stdout, 'css'), [{ copied: 0, updated: 0, deleted: 1, moved: 0 }]);
  assert.ok(!existsSync(join(p.dir, 'out/css/css/f7.css')));

  const only = p.gulp(['cssOnly']);
  assert.equal(only.code, 0, only.output);
  assert.ok(!existsSync(join(p.dir, 'out/css/index.html')), 'onlyStreamed: what the stream did not carry goes');
  assertMirror(join(p.dir, 'site/css'), join(p.dir, 'out/css/css'));
});

test('onlyStreamed over a full destination: the refusal names the stream\'s folder, not the cwd', BOUNDED, async () => {
  const p = await siteProject();
  assert.equal(p.gulp(['mirror']).code, 0);
  const more: TreeSpec = {};
  for (let i = 0; i < 1200; i++) more[`old/f${i}`] = '';
  writeTree(join(p.dir, 'deploy'), more);
  const r = p.gulp(['partial']);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, new RegExp(`source ${join(p.dir, 'site')} has only 1 entries and would delete 1230 of 1231 entries of ${join(p.dir, 'deploy')}; check the path, or pass allowEmptySource: true`));
  assert.ok(existsSync(join(p.dir, 'deploy/old/f0')));
});

test('a destination inside the stream\'s base is refused at once: nothing written', BOUNDED, async () => {
  const p = await siteProject();
  const r = p.gulp(['nested']);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /Error in plugin "gulp-absync"[\s\S]*the destination .*site\/deploy is inside .*site, the folder the stream's files come from \(their base\): a mirror cannot be inside its own source/);
  assert.ok(!existsSync(join(p.dir, 'site/deploy')));
});

test('an incremental stream through a plugin that renames files (.scss -> .css) deletes nothing it did not carry', BOUNDED, async () => {
  const scss: TreeSpec = {};
  for (let i = 1; i <= 5; i++) scss[`src/f${i}.scss`] = `body${i}\n`;
  scss['src/readme.txt'] = 'passed through as it is\n';
  const p = await project({
    type: 'module',
    files: {
      ...scss,
      'gulpfile.js': `
import { utimesSync, writeFileSync } from 'node:fs';
import { Transform } from 'node:stream';
import gulp from 'gulp';
import { absync } from 'gulp-absync';
// What gulp-rename or a compiler does: a new extension (vinyl records the old path in file.history).
const compile = () => new Transform({ objectMode: true, transform(f, _e, cb) { if (f.extname !== '.scss') return cb(null, f); f.extname = '.css'; f.contents = Buffer.from(String(f.contents).toUpperCase()); cb(null, f); } });
const report = (s) => console.log('build ' + JSON.stringify({ copied: s.copied, updated: s.updated, deleted: s.deleted, moved: s.moved }));
export function build() {
  return gulp.src('src/**', { since: gulp.lastRun(build) }).pipe(compile()).pipe(absync('out')).on('summary', report);
}
export const full = () => gulp.src('src/**').pipe(compile()).pipe(absync('out', { onlyStreamed: true })).on('summary', report);
function edit(done) {
  writeFileSync('src/f1.scss', 'edited\\n');
  const ahead = new Date(Date.now() + 60_000);
  utimesSync('src/f1.scss', ahead, ahead);
  done();
}
export const twice = gulp.series(build, edit, build);
`,
    },
  });
  const r = p.gulp(['twice']);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(summaries(r.stdout, 'build'), [
    { copied: 6, updated: 0, deleted: 0, moved: 0 },
    { copied: 0, updated: 1, deleted: 0, moved: 0 },
  ]);
  const css = (): string[] => Object.keys(readTree(join(p.dir, 'out'))).sort();
  assert.deepEqual(css(), ['f1.css', 'f2.css', 'f3.css', 'f4.css', 'f5.css', 'readme.txt']);
  assert.equal(readFileSync(join(p.dir, 'out/f1.css'), 'utf8'), 'EDITED\n');
  assert.match(r.output, /gulp-absync: kept 4 entries of .*out that the stream did not carry: f2\.css, f3\.css, f4\.css, f5\.css\. The stream's files were renamed or made by a plugin \(f1\.scss became f1\.css\)/);

  // A source deleted: its output stays (which output was whose cannot be told), until a full stream with
  // onlyStreamed; a deleted file of a kind the plugin did not make (.txt) goes at once.
  rmSync(join(p.dir, 'src/f3.scss'));
  rmSync(join(p.dir, 'src/readme.txt'));
  ahead(join(p.dir, 'src'));
  const kept = p.gulp(['build']);
  assert.equal(kept.code, 0, kept.output);
  assert.deepEqual(summaries(kept.stdout, 'build'), [{ copied: 0, updated: 0, deleted: 1, moved: 0 }]);
  assert.ok(existsSync(join(p.dir, 'out/f3.css')));
  assert.ok(!existsSync(join(p.dir, 'out/readme.txt')));
  const full = p.gulp(['full']);
  assert.equal(full.code, 0, full.output);
  assert.deepEqual(summaries(full.stdout, 'build'), [{ copied: 0, updated: 0, deleted: 1, moved: 0 }]);
  assert.deepEqual(css(), ['f1.css', 'f2.css', 'f4.css', 'f5.css']);
});

test('a destination inside the stream\'s base, or the base inside the destination, is refused through symlinks too', BOUNDED, async () => {
  const p = await project({
    type: 'module',
    files: {
      'site/index.html': 'home\n',
      'site/deploy': { dir: true },
      'deploy/src/precious.txt': 'the only copy\n',
      'deploy/old.txt': 'old\n',
      'gulpfile.js': `
import gulp from 'gulp';
import { absync } from 'gulp-absync';
export const linkedBase = () => gulp.src('sitelink/**').pipe(absync('site/out'));
export const linkedDest = () => gulp.src('site/**').pipe(absync('destlink'));
export const baseInDest = () => gulp.src('srclink/**').pipe(absync('deploy'));
`,
    },
  });
  symlinkSync('site', join(p.dir, 'sitelink'));
  symlinkSync('site/deploy', join(p.dir, 'destlink'));
  symlinkSync('deploy/src', join(p.dir, 'srclink'));
  const before = readTree(p.dir);
  const inside = /the destination .*without symlinks\).*, the folder the stream's files come from \(their base\): a mirror cannot be inside its own source/;
  for (const [task, message] of [
    ['linkedBase', inside],
    ['linkedDest', inside],
    ['baseInDest', /srclink \(.*deploy\/src without symlinks\), the folder the stream's files come from \(their base\), is inside the destination .*deploy: the mirror would delete its own source/],
  ] as const) {
    const r = p.gulp([task]);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, message, task);
  }
  assert.deepEqual(readTree(p.dir), before, 'nothing written, nothing deleted');
});

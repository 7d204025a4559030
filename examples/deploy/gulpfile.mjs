/**
 * build -> mirror -> deploy, in one gulp pipeline:
 *  - build:  a stand-in for a real build step (it stamps a comment into .html and .css files);
 *  - mirror: absync() makes out/www an exact mirror of what the build produced, deleting what it no longer produces;
 *  - deploy: a stand-in for an upload step. With `changedOnly`, it receives only the files that were copied,
 *            updated or moved, so a second run with nothing changed deploys nothing.
 *
 *   npm run build && npx gulp --gulpfile examples/deploy/gulpfile.mjs publish
 *
 * Everything it writes stays in examples/deploy/out/ (gulp runs it from this folder).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { Transform } from 'node:stream';
import gulp from 'gulp';
import { absync } from 'gulp-absync';

const SITE = '../original/**';
const WWW = 'out/www';
const DEPLOY_LOG = 'out/deployed.log';

/** The "build": adds a comment to pages and style sheets. Binary files pass untouched (encoding: false below). */
function build() {
  const stamp = { '.html': '\n<!-- built by gulp -->\n', '.css': '\n/* built by gulp */\n' };
  return new Transform({
    objectMode: true,
    transform(file, _encoding, done) {
      const extra = stamp[file.extname];
      if (file.isBuffer() && extra) file.contents = Buffer.concat([file.contents, Buffer.from(extra)]);
      done(null, file);
    },
  });
}

/** The "deploy": records what it would upload. */
function deploy() {
  const sent = [];
  return new Transform({
    objectMode: true,
    transform(file, _encoding, done) {
      sent.push(`${file.absync.action} ${file.relative}`);
      done(null, file);
    },
    flush(done) {
      mkdirSync('out', { recursive: true });
      appendFileSync(DEPLOY_LOG, `deploy: ${sent.length} file(s)\n${sent.map((line) => `  ${line}\n`).join('')}`);
      console.log(`deployed ${sent.length} changed file(s)`);
      done();
    },
  });
}

export function publish() {
  return gulp
    .src(SITE, { dot: true, encoding: false, resolveSymlinks: false })
    .pipe(build())
    .pipe(absync(WWW, { changedOnly: true }))
    .pipe(deploy());
}
publish.description = `Build ../original, mirror the result into ${WWW}, deploy only what changed (logged to ${DEPLOY_LOG})`;

export default publish;

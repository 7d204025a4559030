/**
 * An incremental mirror: gulp.src passes on only what changed since the task's last run (gulp.lastRun), and absync
 * keeps every out/mirror entry the stream did not carry whose source still exists, so the mirror stays whole.
 * The first run (and `mirror` run alone) carries everything; under `watch`, each change carries just itself.
 *
 *   npm run build && npx gulp --gulpfile examples/incremental/gulpfile.mjs watch
 *
 * Everything it writes stays in examples/incremental/out/ (gulp runs it from this folder).
 */
import gulp from 'gulp';
import { absync } from 'gulp-absync';

const SITE = '../original';

export function mirror() {
  // The folder itself is in the globs so that a file deleted directly in it changes what the stream carries.
  return gulp
    .src([SITE, `${SITE}/**`], { base: SITE, dot: true, encoding: false, resolveSymlinks: false, since: gulp.lastRun(mirror) })
    .pipe(absync('out/mirror'))
    .on('summary', (s) => console.log(`mirrored: copied ${s.copied}, updated ${s.updated}, deleted ${s.deleted}, moved ${s.moved}`));
}
mirror.description = `Mirror ${SITE} into out/mirror, writing only what changed since the last run`;

export const watch = gulp.series(mirror, function watching() {
  gulp.watch([SITE, `${SITE}/**`], mirror);
});
watch.description = `Mirror ${SITE} into out/mirror now, then on every change, until Ctrl-C`;

export default mirror;

// Install step (and `--restore` before packing): where NODE_EXTRA_CA_CERTS is set, Node 20 parses that CA bundle
// before any script runs (40-80 ms per start on a corporate or CI machine), and the absync CLI makes no TLS
// connection. No first line does both jobs everywhere:
//   - npm on Windows does not run the file: cmd-shim reads its first line and writes .cmd/.ps1/sh shims that start
//     the program named there; it understands `#!/usr/bin/env node` (and `env -S VAR=value node`, though its sh shim
//     then runs `exec VAR=value ...`, which fails), but not `env -u`, and `#!/bin/sh` sends it to a shell Windows lacks;
//   - on Linux and macOS npm links the file and the kernel runs its first line, where `env -S` is missing from
//     busybox (Alpine images) and where Linux passes everything after the interpreter as one argument.
// So the published bin starts with `#!/usr/bin/env node`, which every shim and kernel runs, and its second line is
// both JavaScript (a string and a comment) and sh: `":" //; unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"`. This
// step, run by npm on the installing machine, turns the first line into `#!/bin/sh` where /bin/sh exists (never on
// Windows), so the kernel runs that second line, then node without the variable. It never fails an install: if
// it cannot, the bin keeps the portable line and pays the parse. `--restore` puts the portable line back (prepack),
// so a tarball never carries the POSIX one.
import { accessSync, chmodSync, constants, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../dist/cli/cli.js', import.meta.url));
const PORTABLE = '#!/usr/bin/env node';
const POSIX = '#!/bin/sh';
const SH_LINE = '":" //; unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"';

function firstLineTo(line) {
  const text = readFileSync(BIN, 'utf8');
  const [first, second] = text.split('\n', 2);
  // Only a bin built with the sh line below its first line can run from /bin/sh.
  if (second !== SH_LINE || (first !== PORTABLE && first !== POSIX) || first === line) return false;
  const mode = statSync(BIN).mode & 0o7777;
  // A new file renamed over the old one: a package manager's store linked here (pnpm) keeps its own copy intact.
  const tmp = `${BIN}.${process.pid}.tmp`;
  writeFileSync(tmp, line + text.slice(first.length));
  chmodSync(tmp, mode | 0o111);
  renameSync(tmp, BIN);
  return true;
}

/**
 * After the bundle is made (its entry is dist/cli/main.js): the bin is a small file of its own, its first line the
 * portable one, its second the sh line, and then one dynamic import of the CLI. A CLI that cannot even be loaded (too
 * few file descriptors to open its modules: `ulimit -n`) then says so in one line and exits 2, instead of Node's
 * stack trace.
 */
function writeBin() {
  const body = [
    PORTABLE,
    SH_LINE,
    '// The absync command (the bundle is ./main.js); see scripts/fast-start.mjs for the first two lines.',
    "import('./main.js').catch((err) => {",
    "  const why = err && err.code === 'EMFILE' ? 'too many open files (EMFILE): raise the limit (ulimit -n)' : String((err && err.message) || err).split('\\n')[0];",
    "  process.stderr.write(`absync: cannot start: ${why}\\n`);",
    '  process.exitCode = 2;',
    '});',
    '',
  ].join('\n');
  writeFileSync(BIN, body);
  chmodSync(BIN, 0o755);
}

if (process.argv.includes('--build')) {
  // Part of the build: a failure here must fail it.
  writeBin();
  process.exit(0);
}

try {
  if (!existsSync(BIN)) {
    // A clone before `npm run build`: nothing to do yet.
  } else if (process.argv.includes('--restore')) {
    firstLineTo(PORTABLE);
  } else if (process.platform !== 'win32' && process.env.ABSYNC_PORTABLE_BIN !== '1') {
    accessSync('/bin/sh', constants.X_OK);
    firstLineTo(POSIX);
  }
} catch (err) {
  console.warn(`gulp-absync: bin left with its portable first line (${err.message})`);
}

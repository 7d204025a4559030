/**
 * The first thing the CLI does, before any other module runs: stop signals are handled from the process' start (a
 * SIGTERM during the long first copy stops between two actions and leaves no temporary file or lock), and stdout
 * and stderr are guarded against a reader that goes away.
 */
import { StopSignals } from '../shared/stop-signals.js';
import './output.js';

/** The process' stop signals (SIGINT, SIGTERM, SIGHUP for a single run; SIGBREAK on Windows). */
export const stopSignals = new StopSignals();
// A single run whose terminal hangs up stops too (interval mode takes SIGHUP back for its log: run-interval.ts).
if (process.platform !== 'win32') stopSignals.listen('SIGHUP');

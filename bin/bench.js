#!/usr/bin/env node
// `npm run bench [-- --quick]`: runs bench/run.ts through tsx, like bin/listwatch.js runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../bench/run.ts');

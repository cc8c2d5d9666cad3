#!/usr/bin/env node
// Runs a command under Node.js 22.12+, our runtime (Lambda nodejs22.x, the image, the tests). On an
// older Node it first installs Node 22 from the npm registry (the node-<platform>-<arch> package: a
// plain tarball, no install script, no other download) into a cache folder, once, and puts it first
// on PATH for the command.  Usage: node tools/node22.mjs <command> [args...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node tools/node22.mjs <command> [args...]');
  process.exit(2);
}
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
let env = process.env;
if (major < 22 || (major === 22 && minor < 12)) {
  const dir = process.env.NODE22_DIR ?? join(homedir(), '.cache', 'video-recommender-node22');
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const bin =
    process.platform === 'win32' ? join(dir, 'node_modules', pkg) : join(dir, 'node_modules', pkg, 'bin');
  if (!existsSync(join(bin, process.platform === 'win32' ? 'node.exe' : 'node'))) {
    console.error(
      `Node ${process.version} is older than 22.12: installing Node 22 (${pkg}@22) into ${dir}, once`,
    );
    const install = spawnSync(
      'npm',
      ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@22`],
      {
        stdio: 'inherit',
        shell: process.platform === 'win32',
      },
    );
    if (install.status !== 0) process.exit(install.status ?? 1);
  }
  env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
}
const run = spawnSync(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
if (run.error) {
  console.error(`${command}: ${run.error.message}`);
  process.exit(1);
}
process.exit(run.status ?? (run.signal ? 1 : 0));

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTerminal, type Terminal } from '../helpers/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('CLI: npm run train in a real terminal (tmux)', () => {
  let dir: string;
  let term: Terminal | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'train-tty-'));
  });
  afterAll(async () => {
    term?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('draws the progress bar with the loss, and Ctrl+C restores the cursor and line wrap', async () => {
    // Prepare: a run long enough to interrupt (200 iterations on the shipped sample).
    const node = process.execPath;
    const command = `PATH=${dirname(node)}:$PATH ${node} --import tsx training/cli.ts --out ${join(dir, 'out')} --iterations 200 --no-eval`;
    term = startTerminal(command, ROOT);

    // Act: wait for the bar to show a finished iteration, then press Ctrl+C.
    const during = await term.waitFor(/ALS on all data \[.*\] [1-9]\d*\/200 iterations \| loss \d/);
    const modesDuring = term.modes();
    term.sendKeys('C-c');
    const status = await term.waitForExit();

    // Assess: the bar hid the cursor and turned line wrap off while it ran; both are back after Ctrl+C,
    // and the process still ended by SIGINT (status 130), as it would without a bar.
    expect(during).toMatch(/\d+ ms\/it/);
    expect(modesDuring).toEqual({ cursorShown: false, lineWrap: false });
    expect({ status, ...term.modes() }).toEqual({ status: 130, cursorShown: true, lineWrap: true });
  });
});

/**
 * A real terminal for tests: a detached tmux session running one command, with keys sent through
 * tmux and the screen and terminal modes (cursor shown, line wrap) read back from tmux itself.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

/** One command in its own tmux pane; the pane stays open (and its modes readable) after it ends. */
export interface Terminal {
  /** The visible screen, trailing blank lines dropped. */
  screen(): string;
  /** Terminal modes as tmux holds them: cursor shown, line wrap on. */
  modes(): { cursorShown: boolean; lineWrap: boolean };
  /** tmux key names, e.g. `C-c`. */
  sendKeys(...keys: string[]): void;
  /** Waits (polling, at most `limitMs`) until the screen matches. */
  waitFor(pattern: RegExp, limitMs?: number): Promise<string>;
  /** Waits until the command has ended; resolves its exit status as the shell saw it (130 = SIGINT). */
  waitForExit(limitMs?: number): Promise<number>;
  close(): void;
}

const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });

/**
 * Starts `command` (a shell command line) in a new 120x30 tmux session.
 * @example
 * const term = startTerminal('node --import tsx training/cli.ts');
 */
export function startTerminal(command: string, cwd: string): Terminal {
  const name = `test-${randomUUID().slice(0, 8)}`;
  // The shell catches SIGINT (a trap with a command is reset to the default in its children), so it
  // outlives the command, prints its status and keeps the pane alive without writing anything else.
  const wrapped = `trap ":" INT; ${command}; echo "[exit $?]"; exec sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '30', '-c', cwd, 'sh', '-c', wrapped);
  const screen = (): string => tmux('capture-pane', '-p', '-t', name).replace(/\s+$/, '');
  const poll = async (done: () => boolean, limitMs: number, what: string): Promise<void> => {
    const until = Date.now() + limitMs;
    while (!done()) {
      if (Date.now() > until) throw new Error(`terminal: ${what} did not happen; screen:\n${screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const modes = (): { cursorShown: boolean; lineWrap: boolean } => {
    const [cursor, wrap] = tmux('display', '-p', '-t', name, '#{cursor_flag} #{wrap_flag}').trim().split(' ');
    return { cursorShown: cursor === '1', lineWrap: wrap === '1' };
  };
  const exitStatus = (): number | undefined => {
    const match = /\[exit (\d+)\]/.exec(screen());
    return match ? Number(match[1]) : undefined;
  };
  return {
    screen,
    modes,
    sendKeys: (...keys) => {
      tmux('send-keys', '-t', name, ...keys);
    },
    async waitFor(pattern, limitMs = 60_000) {
      await poll(() => pattern.test(screen()), limitMs, `${pattern}`);
      return screen();
    },
    async waitForExit(limitMs = 30_000) {
      await poll(() => exitStatus() !== undefined, limitMs, 'exit');
      return exitStatus() as number;
    },
    close: () => {
      try {
        tmux('kill-session', '-t', name);
      } catch {
        // already gone
      }
    },
  };
}

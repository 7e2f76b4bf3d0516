// The parent's handle on one engine's process (run/child.ts under tsx): send a command, wait for
// its reply with a time limit, keep the tail of what the process printed for error messages.
// Between its commands the process is stopped (SIGSTOP, where the OS has it): a thread pool that
// spins while idle (onnxruntime-web's with 2 threads keeps most of a core busy) must not take CPU
// from the engine being timed, and on 2 cores it would. An engine of another checkout
// (`--baseline-tree`) runs that tree's child.ts in that tree's bench folder, with its smelt
// packages; its bench/data is made a link to this one's, so both read the same workload data.

import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_ROOT, DATA_ROOT } from '../workloads/data.ts';
import type { Command, Reply } from './protocol.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.ts');
const TAIL_CHARS = 2000;
const CAN_STOP = process.platform !== 'win32';

export class EngineProcess {
  private readonly child: ChildProcess;
  private output = '';
  private exited: string | undefined;
  private waiting: ((r: Reply) => void) | undefined;

  /** `tree`: the checkout whose bench runs the engine (default: this one). */
  constructor(readonly engine: string, tree?: string) {
    const root = tree === undefined ? BENCH_ROOT : baselineBench(tree);
    this.child = fork(path.join(root, path.relative(BENCH_ROOT, CHILD)), [], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const keep = (b: Buffer) => { this.output = (this.output + b.toString()).slice(-TAIL_CHARS); };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.child.on('message', (r: Reply) => this.resolve(r));
    this.child.on('exit', (code, signal) => {
      this.exited = `process exited (${signal ?? `code ${code}`})`;
      this.resolve({ type: 'error', message: `${this.exited}${this.tail()}` });
    });
  }

  private resolve(r: Reply): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(r);
  }

  tail(): string {
    const t = this.output.trim();
    return t ? `; it printed: …${t.slice(-600)}` : '';
  }

  private signal(sig: 'SIGSTOP' | 'SIGCONT'): void {
    if (CAN_STOP && !this.exited) this.child.kill(sig);
  }

  async request(cmd: Command, timeoutMs: number): Promise<Reply> {
    this.signal('SIGCONT');
    const reply = await this.send(cmd, timeoutMs);
    if (cmd.type !== 'finish') this.signal('SIGSTOP');
    return reply;
  }

  private send(cmd: Command, timeoutMs: number): Promise<Reply> {
    if (this.exited) return Promise.resolve({ type: 'error', message: this.exited });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.kill();
        resolve({ type: 'error', message: `no reply to "${cmd.type}" within ${Math.round(timeoutMs / 1000)} s (killed)` });
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.child.send(cmd);
    });
  }

  kill(): void {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    this.signal('SIGCONT');
  }
}

/** Another checkout's bench folder, its data linked to ours; an error names what is missing. */
export function baselineBench(tree: string): string {
  const root = path.join(tree, 'bench');
  const child = path.join(root, path.relative(BENCH_ROOT, CHILD));
  if (!fs.existsSync(child)) throw new Error(`--baseline-tree ${tree}: no ${path.relative(tree, child)} there (a smelt checkout with the bench is needed)`);
  if (!fs.existsSync(path.join(tree, 'node_modules'))) throw new Error(`--baseline-tree ${tree}: no node_modules (run \`npx --yes pnpm@12.4.2 install --frozen-lockfile\` there first)`);
  const data = path.join(root, 'data');
  if (!fs.existsSync(data)) fs.symlinkSync(DATA_ROOT, data, 'dir');
  return root;
}

// One engine's process: the parent (run/engine-process.ts) sends prepare, then run as many times as
// the schedule wants, then (smelt engines) profile once, then finish. prepare loads the workload, runs it once and checks the outputs
// against the reference; run times one whole workload run, outputs read back to the host included,
// after timing the machine probe (run/simd-probe.ts) in the same thread.

import fs from 'node:fs';
import { findEngine } from '../engines/catalog.ts';
import { findWorkload } from '../workloads/defs.ts';
import { checkOutputs } from './check.ts';
import { type Prepared, prepare } from './prepare.ts';
import type { Command, Reply } from './protocol.ts';
import { SimdProbe } from './simd-probe.ts';

let prepared: Prepared | undefined;
let probe: SimdProbe | undefined;
/** CPU this process used between runs (thread pools that spin, background compiles): it steals from the others. */
const idle = { cpuMs: 0, wallMs: 0, since: undefined as { cpu: NodeJS.CpuUsage; wall: number } | undefined };

function markRunEnd(): void {
  idle.since = { cpu: process.cpuUsage(), wall: performance.now() };
}

function markRunStart(): void {
  if (!idle.since) return;
  const cpu = process.cpuUsage(idle.since.cpu);
  idle.cpuMs += (cpu.user + cpu.system) / 1000;
  idle.wallMs += performance.now() - idle.since.wall;
}

function send(reply: Reply, then?: () => void): void {
  process.send!(reply, undefined, {}, () => then?.());
}

function osThreads(): number | undefined {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

async function onPrepare(engineName: string, workload: string): Promise<Reply> {
  const spec = findEngine(engineName);
  const engine = await spec.create();
  const reason = await engine.available();
  if (reason) return { type: 'unavailable', reason };
  prepared = await prepare(engine, findWorkload(workload));
  const t0 = performance.now();
  const { outputs } = await prepared.run();
  const firstRunMs = performance.now() - t0;
  probe = new SimdProbe();
  probe.calibrate();
  markRunEnd();
  const { loadMs, compileMs, baseRssMB } = prepared;
  return { type: 'prepared', loadMs, compileMs, baseRssMB, firstRunMs, check: checkOutputs(outputs, prepared.expected, spec.quantized), about: await engine.describe() };
}

async function onRun(): Promise<Reply> {
  if (!prepared || !probe) throw new Error('run before prepare');
  markRunStart();
  const probeGflops = probe.measure();
  const t0 = performance.now();
  const { stats, firstTokenMs } = await prepared.run();
  const ms = performance.now() - t0;
  markRunEnd();
  return { type: 'ran', ms, stats, probeGflops, firstTokenMs };
}

async function handle(cmd: Command): Promise<Reply> {
  switch (cmd.type) {
    case 'prepare': return onPrepare(cmd.engine, cmd.workload);
    case 'run': return onRun();
    case 'profile': {
      if (!prepared) throw new Error('profile before prepare');
      markRunStart();
      const profile = await prepared.profile();
      markRunEnd();
      return { type: 'profiled', profile };
    }
    case 'finish': {
      const threads = osThreads();
      prepared?.dispose();
      // Under a second of waiting in all is mostly message passing, not a measure of idle spinning.
      const idleCpuPct = idle.wallMs >= 1000 ? (100 * idle.cpuMs) / idle.wallMs : undefined;
      return { type: 'finished', maxRssMB: process.resourceUsage().maxRSS / 1024, osThreads: threads, idleCpuPct };
    }
    default: return cmd satisfies never;
  }
}

// After finish the process exits at once: thread pools and GPU devices would otherwise keep it alive.
process.on('message', (cmd: Command) => {
  const then = cmd.type === 'finish' ? () => process.exit(0) : undefined;
  handle(cmd).then(
    (r) => send(r, then),
    (e: unknown) => send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }, then),
  );
});

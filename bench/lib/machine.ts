import { cpus, loadavg, release, totalmem, type } from 'node:os';

export interface MachineInfo {
  cpus: number;
  model: string;
  memGiB: number;
  node: string;
  os: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadavg: number[];
}

/** What the figures were measured on. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()}`,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

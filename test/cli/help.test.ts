import { describe, it } from 'vitest';
import { agentkit } from './cli-process.js';

describe.concurrent('agentkit --help and usage errors', { timeout: 120_000 }, () => {
  it('when run with --help, then it lists every command group, the environment, the exit codes and examples', async ({ expect }) => {
    const { code, stdout, stderr } = await agentkit(['--help']);

    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const command of ['serve', 'agents', 'run', 'tasks', 'deliveries']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(stdout).toContain('AGENTKIT_URL');
    expect(stdout).toContain('AGENTKIT_API_KEY');
    expect(stdout).toContain('Exit codes:');
    expect(stdout).toMatch(/^ {2}4 +not authorised/m);
    expect(stdout).toMatch(/^ {2}7 +run --wait: the task ended failed/m);
    expect(stdout).toMatch(/^ {2}8 +run --wait, tasks cancel --wait: --wait-timeout ran out/m);
    expect(stdout).toContain('$ agentkit run echo-agent-1 echo --param message=hello --wait');
  });

  it('when run --help, then it explains how --param values are parsed and what --wait exits with', async ({ expect }) => {
    const { code, stdout } = await agentkit(['run', '--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('Usage: agentkit run [options] <agentId> <task_name>');
    for (const option of ['--param', '--params-json', '--session', '--opscore-task', '--timeout', '--idempotency-key', '--wait', '--wait-timeout']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain('--param n=3 sends the number 3');
    expect(stdout).toContain('the exit code is 7 when it failed, 9 when it was canceled and 8');
  });

  it('when a subcommand is asked for help, then it shows its own options and examples', async ({ expect }) => {
    const list = await agentkit(['deliveries', 'list', '--help']);
    const help = await agentkit(['help', 'agents']);

    expect(list.code).toBe(0);
    expect(list.stdout).toContain('--kind <kind>');
    expect(list.stdout.replace(/\s+/g, ' ')).toContain('agent.lifecycle, task.delivery, task.cancel, opscore.state');
    expect(list.stdout).toContain('$ agentkit deliveries list --status failed --kind agent.lifecycle');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('deregister <agentId>');
    expect(help.stdout).toContain('$ agentkit agents get echo-agent-1');
  });

  it('when the command is unknown, then it exits 2 with commander\'s message on stderr and nothing on stdout', async ({ expect }) => {
    const { code, stdout, stderr } = await agentkit(['agnets', 'list']);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain("unknown command 'agnets'");
    expect(stderr).toContain('(Did you mean agents?)');
  });

  it('when an option value is out of range, then it exits 2 before any request', async ({ expect }) => {
    const { code, stderr } = await agentkit(['agents', 'list', '--limit', '500'], { AGENTKIT_API_KEY: 'k', AGENTKIT_URL: 'http://127.0.0.1:9' });

    expect(code).toBe(2);
    expect(stderr).toContain('expected an integer from 1 to 100');
    expect(stderr).not.toContain('Cannot reach');
  });

  it('when --param repeats a key, then it exits 2 naming the key', async ({ expect }) => {
    const { code, stderr } = await agentkit(['run', 'a1', 'echo', '--param', 'x=1', '--param', 'x=2'], { AGENTKIT_API_KEY: 'k' });

    expect(code).toBe(2);
    expect(stderr).toContain('Parameter "x" is given more than once');
  });
});

import { describe, expect, it } from 'vitest';
import { admit, lastSeenStaleBefore, restartLosesTasks } from '../../src/domain/agent.js';

describe('admit', () => {
  it('when the agent has no limit, then every task goes; with one, a task goes while a slot is free, else it waits', () => {
    expect(admit({ maxConcurrentTasks: null, activeTasks: 50 })).toBe('unlimited');
    expect(admit({ maxConcurrentTasks: 2, activeTasks: 1 })).toBe('slot');
    expect(admit({ maxConcurrentTasks: 2, activeTasks: 2 })).toBe('wait');
    expect(admit({ maxConcurrentTasks: 1, activeTasks: 3 })).toBe('wait');
  });
});

describe('restartLosesTasks', () => {
  it('when the agent declared heartbeats, then registering again means it restarted; without, it may just be updating', () => {
    expect(restartLosesTasks({ heartbeatIntervalSeconds: 10 })).toBe(true);
    expect(restartLosesTasks({ heartbeatIntervalSeconds: null })).toBe(false);
  });
});

describe('lastSeenStaleBefore', () => {
  it('when a report comes, then lastSeenAt is written again only once it is a second old', () => {
    expect(lastSeenStaleBefore('2030-01-01T00:00:05.000Z')).toBe('2030-01-01T00:00:04.000Z');
  });
});

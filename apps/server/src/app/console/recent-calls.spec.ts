import { toolError } from '@sanctum/protocol';
import { RECENT_CALLS_CAPACITY, RecentCalls } from './recent-calls';
import type { FinishedCall } from './recent-calls';

const call = (tool: string, overrides: Partial<FinishedCall> = {}): FinishedCall => ({
  tool,
  sessionId: 's1',
  transport: 'sse',
  principal: 'agents',
  durationMs: 12,
  outcome: 'ok',
  result: { content: [{ type: 'text', text: 'done' }] },
  arguments: { secret: 'value' },
  ...overrides,
});

describe('RecentCalls', () => {
  it('keeps nothing with the console off: the write returns at once', () => {
    const calls = new RecentCalls({ console: false, logLevel: 'info' });
    calls.record(call('devops.deploy'));
    expect(calls.list()).toEqual([]);
  });

  it('keeps the last calls only, oldest first, overwriting the oldest when full', () => {
    const calls = new RecentCalls({ console: true, logLevel: 'info' });
    for (let i = 0; i < RECENT_CALLS_CAPACITY + 5; i++) calls.record(call(`t.${i}`));
    const kept = calls.list();
    expect(kept).toHaveLength(RECENT_CALLS_CAPACITY);
    expect(kept[0].tool).toBe('t.5');
    expect(kept.at(-1)?.seq).toBe(RECENT_CALLS_CAPACITY + 5);
    expect(calls.list({ after: RECENT_CALLS_CAPACITY + 4 }).map((c) => c.tool)).toEqual([`t.${RECENT_CALLS_CAPACITY + 4}`]);
  });

  it('keeps the error text of a failed call, filters by outcome, and no argument values below debug', () => {
    const calls = new RecentCalls({ console: true, logLevel: 'info' });
    calls.record(call('devops.deploy'));
    calls.record(
      call('devops.rollback', {
        outcome: 'plugin_error',
        result: toolError('plugin_error', 'devops.rollback exited with code 1: no such version'),
      }),
    );
    const failed = calls.list({ outcome: 'plugin_error' });
    expect(failed).toEqual([
      expect.objectContaining({ tool: 'devops.rollback', error: 'devops.rollback exited with code 1: no such version' }),
    ]);
    expect(failed[0]).not.toHaveProperty('arguments');
    expect(calls.list({ tool: 'devops.deploy' })[0]).not.toHaveProperty('error');
  });

  it('keeps argument values with LOG_LEVEL=debug', () => {
    const calls = new RecentCalls({ console: true, logLevel: 'debug' });
    calls.record(call('devops.deploy'));
    expect(calls.list()[0].arguments).toEqual({ secret: 'value' });
  });
});

import { DEFAULT_TENANT_ID } from '../../libs/persistence/src/tenancy/tenant-context';
// Scheduled re-audits as BullMQ job schedulers against the real Redis: one scheduler per model however often it is
// upserted, visible to a process started later (it lives in Redis), and each tick handled once although two
// consumers (two api replicas) take jobs from the queue.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import {
  BullMqReauditScheduler,
  consumeScheduledReaudits,
  QueueName,
  redisOptionsFromUrl,
} from '../../libs/queue/src/index';
import { REDIS_URL } from './support/test-infrastructure';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reaudit job schedulers (real Redis)', () => {
  const prefix = `it-reaudit-${randomBytes(4).toString('hex')}`;
  const opened: Array<{ close(): Promise<void> }> = [];
  const scheduler = () => {
    const s = new BullMqReauditScheduler(REDIS_URL, prefix);
    opened.push(s);
    return s;
  };

  afterAll(async () => {
    for (const o of opened) await o.close();
    const queue = new Queue(QueueName.Reaudits, { connection: redisOptionsFromUrl(REDIS_URL, false), prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('keeps one scheduler per model across upserts, seen by a process started later, until removed', async () => {
    const first = scheduler();
    await first.upsert('model-a', '0 3 * * *', DEFAULT_TENANT_ID);
    await first.upsert('model-a', '0 3 * * *', DEFAULT_TENANT_ID);
    await first.upsert('model-a', '0 4 * * 1', DEFAULT_TENANT_ID);
    await first.upsert('model-b', '@daily', DEFAULT_TENANT_ID);
    await first.close();

    const restarted = scheduler();
    const listed = await restarted.list();
    expect(listed.map((s) => [s.modelId, s.pattern]).sort()).toEqual([
      ['model-a', '0 4 * * 1'],
      ['model-b', '@daily'],
    ]);
    expect(listed.every((s) => typeof s.next === 'number' && s.next > Date.now())).toBe(true);
    expect(await restarted.remove('model-a')).toBe(true);
    expect(await restarted.remove('model-a')).toBe(false);
    expect((await restarted.list()).map((s) => s.modelId)).toEqual(['model-b']);
    await restarted.remove('model-b');
  });

  it('hands each tick to one of two consumers, once', async () => {
    const handled: Array<{ consumer: number; jobId: string }> = [];
    const consumers = [1, 2].map((n) =>
      consumeScheduledReaudits(REDIS_URL, prefix, ({ modelId }, tick) => {
        expect(modelId).toBe('model-tick');
        handled.push({ consumer: n, jobId: tick.jobId });
        return Promise.resolve('ok');
      }),
    );
    opened.push(...consumers);
    const s = scheduler();
    await s.upsert('model-tick', '* * * * * *', DEFAULT_TENANT_ID);
    // A second upsert while it runs (another replica applying the same plan) changes nothing.
    await s.upsert('model-tick', '* * * * * *', DEFAULT_TENANT_ID);
    await sleep(4500);
    await s.remove('model-tick');
    await sleep(1500);
    const settled = handled.length;
    await sleep(2000);
    expect(handled.length).toBe(settled); // removed: no more ticks
    expect(handled.length).toBeGreaterThanOrEqual(3);
    const ids = handled.map((h) => h.jobId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^repeat:reaudit:model-tick:\d+$/);
  });
});

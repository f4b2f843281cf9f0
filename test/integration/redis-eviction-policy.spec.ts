import { ChildProcess, spawn } from 'node:child_process';
import { assertRedisNoEviction } from '../../libs/queue/src/redis-eviction-policy';
import { REDIS_URL } from './support/test-infrastructure';
import { freePort } from '../fixtures/free-port';

jest.setTimeout(30_000);

describe('assertRedisNoEviction', () => {
  it('accepts the shared Redis (noeviction)', async () => {
    await expect(assertRedisNoEviction(REDIS_URL)).resolves.toBeUndefined();
  });

  describe('against a private redis-server with another policy', () => {
    let server: ChildProcess | undefined;
    let url = '';
    beforeAll(async () => {
      const port = await freePort();
      // Our own throw-away server: changing the shared one's policy would disturb other suites.
      server = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'allkeys-lru',
          '--rename-command',
          'FLUSHALL',
          '',
        ],
        { stdio: 'ignore' },
      );
      url = `redis://127.0.0.1:${port}`;
      await new Promise((r) => setTimeout(r, 500));
    });
    afterAll(() => {
      server?.kill('SIGTERM');
    });

    it('refuses allkeys-lru and says what to set', async () => {
      await expect(assertRedisNoEviction(url)).rejects.toThrow(/maxmemory-policy is 'allkeys-lru'.*noeviction/);
    });
  });

  it('says so when Redis cannot be reached', async () => {
    const port = await freePort();
    await expect(assertRedisNoEviction(`redis://127.0.0.1:${port}`)).rejects.toThrow(/cannot connect to Redis/);
  });
});

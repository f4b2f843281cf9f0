// Preloaded into the api by bench:api (node -r): counts the Postgres statements the api sends (node-postgres
// waits for each one's answer before sending the next, so each is one round trip) and the Redis commands. On
// SIGWINCH (a signal Nest's shutdown hooks leave alone) it prints the totals so far as one line: "round-trips <seq> pid <pid> pg <n> redis <n> http <n>" (each api
// process of a cluster, API_PROCESSES, counts its own). Bench only.
import { Server } from 'node:http';
import { isMainThread } from 'node:worker_threads';
import * as pg from 'pg';
import Redis from 'ioredis';

const counts = { pg: 0, redis: 0, http: 0 };
let seq = 0;

const pgQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  counts.pg++;
  return pgQuery.apply(this, args);
};
const redisSend = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
  counts.redis++;
  return redisSend.apply(this, args);
};
const emit = Server.prototype.emit as (this: Server, event: string, ...args: unknown[]) => boolean;
(Server.prototype as unknown as { emit: typeof emit }).emit = function (this: Server, event: string, ...args) {
  if (event === 'request') counts.http++;
  return emit.call(this, event, ...args);
};

// The api's check threads load this file too (they inherit execArgv); only the main thread answers.
if (isMainThread) {
  process.on('SIGWINCH', () => {
    process.stdout.write(
      `round-trips ${++seq} pid ${process.pid} pg ${counts.pg} redis ${counts.redis} http ${counts.http}\n`,
    );
  });
}

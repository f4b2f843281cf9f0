#!/usr/bin/env node
'use strict';
// Finds or starts the PostgreSQL and Redis the integration and e2e suites need, then runs the command
// given after `--` with DATABASE_URL and REDIS_URL set, and stops whatever it started.
//   1. DATABASE_URL / REDIS_URL from the environment (or the local defaults) when they answer;
//   2. else local `postgres`/`initdb` and `redis-server` binaries, started in a temp dir on free ports;
//   3. else it fails and says what to install.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { Client } = require('pg');
const Redis = require('ioredis');

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const started = [];

function log(msg) {
  process.stderr.write(`[test-services] ${msg}\n`);
}

/** The URL without its password, for messages. */
function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

async function postgresAnswers(url) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers(url) {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** First directory on PATH or in Debian's versioned postgres dirs that holds `bin`. */
function findBinary(bin) {
  const dirs = (process.env.PATH || '').split(path.delimiter);
  const pgRoot = '/usr/lib/postgresql';
  if (fs.existsSync(pgRoot)) {
    for (const v of fs.readdirSync(pgRoot).sort().reverse()) dirs.push(path.join(pgRoot, v, 'bin'));
  }
  for (const d of dirs) {
    const p = path.join(d, bin);
    if (d && fs.existsSync(p)) return p;
  }
  return undefined;
}

async function waitFor(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s`);
}

async function startPostgres(tmp) {
  const initdb = findBinary('initdb');
  const postgres = findBinary('postgres');
  if (!initdb || !postgres) {
    throw new Error(
      'PostgreSQL is not reachable at DATABASE_URL and no local `initdb`/`postgres` binaries were found. ' +
        'Install PostgreSQL 15+ (Debian: apt install postgresql) or set DATABASE_URL to a reachable server.',
    );
  }
  const dataDir = path.join(tmp, 'pg');
  const port = await freePort();
  // initdb refuses to run as root; run as the `postgres` user when we are root and it exists.
  const asRoot = process.getuid && process.getuid() === 0;
  const wrap = (cmd, args) => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  if (asRoot) fs.chmodSync(tmp, 0o777);
  const [c1, a1] = wrap(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const init = spawnSync(c1, a1, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (init.status !== 0) throw new Error(`initdb failed: ${String(init.stderr).trim().split('\n').pop()}`);
  const [c2, a2] = wrap(postgres, [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    tmp,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
  ]);
  const child = spawn(c2, a2, { stdio: 'ignore' });
  started.push(child);
  const base = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitFor(() => postgresAnswers(base), 'the temporary PostgreSQL', 30000);
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query('create database test');
  await admin.end();
  log(`started a temporary PostgreSQL on port ${port}`);
  return `postgres://postgres@127.0.0.1:${port}/test`;
}

async function startRedis(tmp) {
  const redisServer = findBinary('redis-server');
  if (!redisServer) {
    throw new Error(
      'Redis is not reachable at REDIS_URL and no local `redis-server` binary was found. ' +
        'Install Redis 7 (Debian: apt install redis-server) or set REDIS_URL to a reachable server.',
    );
  }
  const port = await freePort();
  const child = spawn(
    redisServer,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      tmp,
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  started.push(child);
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(() => redisAnswers(url), 'the temporary Redis', 15000);
  log(`started a temporary Redis on port ${port}`);
  return url;
}

function stopAll() {
  for (const child of started) if (child.exitCode === null) child.kill('SIGTERM');
}

async function main() {
  const sep = process.argv.indexOf('--');
  const command = sep >= 0 ? process.argv.slice(sep + 1) : [];
  if (command.length === 0) throw new Error('usage: test-services.js -- <command> [args...]');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'privaudit-test-'));

  let databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  if (await postgresAnswers(databaseUrl)) log(`using PostgreSQL at ${redact(databaseUrl)}`);
  else {
    log(`PostgreSQL at ${redact(databaseUrl)} does not answer; starting a local one`);
    databaseUrl = await startPostgres(tmp);
  }
  let redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  if (await redisAnswers(redisUrl)) log(`using Redis at ${redact(redisUrl)}`);
  else {
    log(`Redis at ${redact(redisUrl)} does not answer; starting a local one`);
    redisUrl = await startRedis(tmp);
  }

  const child = spawn(command[0], command.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl },
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  stopAll();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}

main().catch((err) => {
  log(`error: ${err.message}`);
  stopAll();
  process.exit(1);
});

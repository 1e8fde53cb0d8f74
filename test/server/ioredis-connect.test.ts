/**
 * ioredis's connection handshake against the broker: AUTH with a password, the
 * client name, the database and the INFO ready check (it waits for `loading:0`),
 * then a command; and the handshake failing as it should on a wrong password.
 */
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { suiteBroker } from '../harness/suite.js';

describe('ioredis connecting to the broker', () => {
  const server = suiteBroker(['--requirepass', 's3cret']);

  it('authenticates, names the connection, selects a db, passes the ready check, runs commands', async () => {
    const redis = new Redis({
      port: server.port,
      host: '127.0.0.1',
      password: 's3cret',
      connectionName: 'ioredis-probe',
      db: 3,
      enableReadyCheck: true,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await redis.connect();
      expect(redis.status).toBe('ready');
      expect(await redis.set('k', 'v')).toBe('OK');
      expect(await redis.get('k')).toBe('v');
      const mine = [...server.broker.connections.values()].find((c) => c.name === 'ioredis-probe');
      expect(mine?.db.id).toBe(3);
      expect(mine?.authenticated).toBe(true);
      expect(await redis.client('GETNAME')).toBe('ioredis-probe');
      expect(server.broker.engine.dbs[3].size).toBe(1);
    } finally {
      redis.disconnect();
    }
  });

  it('connects with HELLO 3 and AUTH in RESP3', async () => {
    const redis = new Redis({ port: server.port, host: '127.0.0.1', password: 's3cret', protocol: 3, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      const resp = [...server.broker.connections.values()].map((c) => c.reply.resp);
      expect(resp).toContain(3);
    } finally {
      redis.disconnect();
    }
  });

  it('fails to connect with a wrong password, reporting WRONGPASS (as against redis-server)', async () => {
    const redis = new Redis({
      port: server.port,
      host: '127.0.0.1',
      password: 'wrong',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const errors: string[] = [];
    redis.on('error', (e: Error) => errors.push(e.message));
    try {
      await expect(redis.connect()).rejects.toThrow();
      expect(errors).toEqual(['WRONGPASS invalid username-password pair or user is disabled.']);
    } finally {
      redis.disconnect();
    }
  });
});

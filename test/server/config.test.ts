/**
 * Configuration at run time: CONFIG SET's all-or-nothing rule when a parameter's
 * listener refuses, and the parameters whose change acts on live connections
 * (requirepass, proto-max-bulk-len) or is protected (dir).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Config, ConfigError } from '../../broker/config/config.js';
import { Broker } from '../../broker/server.js';
import { PARAMS, keyspaceEventFlags, noEffectNames, NotifyFlag } from '../../broker/config/params.js';
import { RawClient } from '../harness/raw.js';
import { tempDir } from '../harness/temp.js';
import { startBroker } from '../harness/servers.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';

describe('Config', () => {
  it('sets several parameters atomically: a refusal restores every value and tells the listeners', () => {
    const config = new Config(PARAMS);
    const seen: string[] = [];
    config.onChange('timeout', (_, v) => void seen.push(`timeout=${v}`));
    config.onChange('maxclients', (_, v) => (v === '13' ? 'The operating system is not able to handle it' : undefined));
    expect(() => config.setMany([['timeout', '7'], ['maxclients', '13']], false)).toThrow(
      new ConfigError("CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle it"),
    );
    expect(config.get('timeout')).toBe('0');
    expect(config.get('maxclients')).toBe('10000');
    expect(seen).toEqual(['timeout=7', 'timeout=0']);
    config.setMany([['timeout', '7'], ['maxclients', '12']], false);
    expect([config.get('timeout'), config.get('maxclients')]).toEqual(['7', '12']);
  });

  it('reads config files and flags with redis-server syntax', () => {
    const config = new Config(PARAMS);
    config.loadArgs(['--save', '900', '1', '--notify-keyspace-events', 'KEA', '--lua-time-limit', '100']);
    expect(config.get('save')).toBe('900 1');
    expect(config.get('notify-keyspace-events')).toBe('AKE');
    expect(config.get('busy-reply-threshold')).toBe('100');
    expect(keyspaceEventFlags(config.get('notify-keyspace-events')) & NotifyFlag.Keyevent).toBe(NotifyFlag.Keyevent);
    expect(() => config.loadArgs(['--nosuch', '1'])).toThrow(
      "Reading the configuration file, at line 2\n>>> 'nosuch \"1\"'\nBad directive or wrong number of arguments",
    );
  });
});

describe('the parameters accepted with no effect', () => {
  it('are each listed in the README, and nothing else is listed there', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Accepted, no effect'), readme.indexOf('## Supported commands'));
    const listed = [...section.matchAll(/`([a-z_-]+)`/g)].map((m) => m[1]).filter((name) => PARAMS.some((p) => p.name === name));
    const refusedOrReal = ['activedefrag', 'cluster-enabled', 'tls-port', 'tls-replication', 'tls-cluster', 'requirepass'];
    expect(noEffectNames().filter((name) => !listed.includes(name))).toEqual([]);
    expect(listed.filter((name) => !noEffectNames().includes(name) && !refusedOrReal.includes(name))).toEqual([]);
  });
});

describe('CONFIG SET on a running broker', () => {
  const server = suiteBroker();
  const admin = suiteClient(server);

  it('requirepass applies to new connections; clearing it frees the waiting ones', async () => {
    await admin.call('CONFIG', 'SET', 'requirepass', 'pw');
    expect((await admin.call('PING')).raw.toString()).toBe('+PONG\r\n');
    const fresh = await RawClient.connect(server.port);
    expect((await fresh.call('PING')).raw.toString()).toBe('-NOAUTH Authentication required.\r\n');
    await admin.call('CONFIG', 'SET', 'requirepass', '');
    expect((await fresh.call('PING')).raw.toString()).toBe('+PONG\r\n');
    fresh.close();
  });

  it('proto-max-bulk-len applies to open connections', async () => {
    const c = await RawClient.connect(server.port);
    await admin.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb');
    c.write(`*2\r\n$4\r\nECHO\r\n$${1024 * 1024 + 1}\r\n`);
    expect((await c.read()).raw.toString()).toBe('-ERR Protocol error: invalid bulk length\r\n');
    await c.waitClosed();
    await admin.call('CONFIG', 'SET', 'proto-max-bulk-len', '512mb');
  });

  it('dir is protected unless enable-protected-configs allows it, and must exist', async () => {
    expect((await admin.call('CONFIG', 'SET', 'dir', '.')).raw.toString()).toContain("can't set protected config");
    const open = await startBroker(['--enable-protected-configs', 'local']);
    const c = await RawClient.connect(open.port);
    const target = tempDir('broker-dir-');
    expect((await c.call('CONFIG', 'SET', 'dir', target)).raw.toString()).toBe('+OK\r\n');
    expect((await c.call('CONFIG', 'GET', 'dir')).value).toEqual(['dir', target]);
    expect((await c.call('CONFIG', 'SET', 'dir', path.join(target, 'missing'))).raw.toString()).toMatch(
      /^-ERR CONFIG SET failed \(possibly related to argument 'dir'\) - No such file or directory\r\n$/,
    );
    c.close();
    await open.stop();
  });
});

describe('CONFIG REWRITE', () => {
  it('rewrites the config file in place, appending what differs from the defaults', async () => {
    const dir = tempDir('broker-rewrite-');
    const file = path.join(dir, 'broker.conf');
    writeFileSync(
      file,
      // appendonly no: this broker, started in the working directory, must not write an AOF there.
      ['# my config', 'maxclients 77', '', 'hash-max-ziplist-entries 100', 'save 900 1', 'save 300 10', 'port 1', 'appendonly no', '# end', ''].join('\n'),
    );
    const broker = new Broker({ args: [file, '--port', '0', '--bind', '127.0.0.1'], log: pino({ level: 'silent' }) });
    await broker.start();
    const c = await RawClient.connect(broker.port);
    try {
      await c.call('CONFIG', 'SET', 'maxclients', '1234', 'save', '100 1', 'maxmemory', '1gb', 'hash-max-listpack-entries', '200');
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA', 'client-output-buffer-limit', 'pubsub 64mb 16mb 90');
      expect((await c.call('CONFIG', 'REWRITE')).raw.toString()).toBe('+OK\r\n');
      expect(readFileSync(file, 'latin1')).toBe(
        [
          '# my config',
          'maxclients 1234',
          '',
          'hash-max-listpack-entries 200',
          'save 100 1',
          'port 0',
          'appendonly no',
          '# end',
          '# Generated by CONFIG REWRITE',
          'bind 127.0.0.1',
          'client-output-buffer-limit pubsub 64mb 16mb 90',
          `dir "${process.cwd()}"`,
          'latency-tracking-info-percentiles 50 99 99.9',
          'maxmemory 1gb',
          'notify-keyspace-events "AKE"',
          '',
        ].join('\n'),
      );
      // The rewritten file reads back to the same values.
      const reread = new Config(PARAMS);
      reread.loadFile(file);
      for (const { spec, value } of broker.config.parameters()) {
        if (spec.name !== 'port') expect(reread.get(spec.name), spec.name).toBe(value);
      }
    } finally {
      c.close();
      await broker.stop();
    }
  });
});

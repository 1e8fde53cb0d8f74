#!/usr/bin/env node
// Regenerates engine/command-meta.json from a real redis-server 7.0: the COMMAND INFO
// and COMMAND DOCS replies of every command, so arity, flags, key specs and docs match
// the reference exactly. Run after `npm run build`: node scripts/gen-command-meta.mjs
import { spawn } from 'node:child_process';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { decodeReply } from '../dist/protocol/decoder.js';

const port = 20000 + Math.floor(Math.random() * 20000);
const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });

function toMeta(v) {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(toMeta);
  if ('simple' in v) return { simple: v.simple };
  if ('map' in v) return { map: v.map.map(([k, e]) => [toMeta(k), toMeta(e)]) };
  if ('set' in v) return { set: v.set.map(toMeta) };
  throw new Error('unexpected reply type ' + JSON.stringify(v));
}

async function query(sock, cmd) {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const r = decodeReply(buf, 0);
      if (r) { sock.off('data', onData); resolve(r.value); }
    };
    sock.on('data', onData);
    sock.write(cmd.map((a) => a) .join(' ') + '\r\n');
  });
}

await new Promise((r) => setTimeout(r, 300));
const sock = net.connect(port, '127.0.0.1');
await new Promise((r) => sock.on('connect', r));
await query(sock, ['HELLO', '3']);
const info = await query(sock, ['COMMAND', 'INFO']);
const docs = await query(sock, ['COMMAND', 'DOCS']);
const docByName = new Map(docs.map.map(([k, v]) => [k, v]));
const commands = {};
for (const entry of info) {
  const name = entry[0];
  commands[name] = { info: toMeta(entry), docs: toMeta(docByName.get(name)) };
}
writeFileSync(new URL('../engine/command-meta.json', import.meta.url), JSON.stringify(commands) + '\n');
console.log(`wrote ${Object.keys(commands).length} commands`);
sock.destroy();
server.kill();

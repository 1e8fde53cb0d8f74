/** LATENCY LATEST/HISTORY/RESET/DOCTOR/HELP over the broker's latency monitor. */
import type { CommandDef } from '../../engine/command.js';
import { replyHelp } from '../../engine/help.js';
import type { Connection } from '../connection.js';

function latencyLatest(c: Connection): void {
  const events = c.broker.latency.events;
  c.reply.array(events.size);
  for (const [event, series] of events) {
    const last = series.samples[series.samples.length - 1];
    c.reply.array(4);
    c.reply.bulk(event);
    c.reply.int(last.time);
    c.reply.int(last.latency);
    c.reply.int(series.max);
  }
}

function latencyHistory(c: Connection, argv: string[]): void {
  const samples = c.broker.latency.events.get(argv[2])?.samples ?? [];
  c.reply.array(samples.length);
  for (const s of samples) {
    c.reply.array(2);
    c.reply.int(s.time);
    c.reply.int(s.latency);
  }
}

function latencyReset(c: Connection, argv: string[]): void {
  c.reply.int(c.broker.latency.reset(argv.slice(2)));
}

function latencyDoctor(c: Connection): void {
  c.reply.verbatim(c.broker.latency.doctor(c.broker.config.int('latency-monitor-threshold')));
}

const HELP = [
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
];

export const latencyCommands: readonly CommandDef<Connection>[] = [
  { name: 'latency|latest', handler: latencyLatest },
  { name: 'latency|history', handler: latencyHistory },
  { name: 'latency|reset', handler: latencyReset },
  { name: 'latency|doctor', handler: latencyDoctor },
  { name: 'latency|help', handler: (c, argv) => replyHelp(c.reply, argv[0], HELP) },
];

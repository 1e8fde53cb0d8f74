/** LATENCY LATEST/HISTORY/RESET/DOCTOR/HISTOGRAM/HELP over the broker's latency monitor and histograms. */
import type { Command, CommandDef } from '../../engine/command.js';
import { replyHelp } from '../../engine/help.js';
import type { Connection } from '../net/connection.js';
import type { LatencyHistogram } from '../introspection/histogram.js';

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

/** One command's entry of LATENCY HISTOGRAM: calls and the cumulative distribution in µs. */
function replyHistogram(c: Connection, name: string, histogram: LatencyHistogram): void {
  c.reply.bulk(name);
  c.reply.map(2);
  c.reply.bulk('calls');
  c.reply.int(histogram.total);
  c.reply.bulk('histogram_usec');
  const buckets = histogram.cumulativeMicros();
  c.reply.map(buckets.length);
  for (const [micros, count] of buckets) {
    c.reply.int(micros);
    c.reply.int(count);
  }
}

/** LATENCY HISTOGRAM [command ...]: every command with calls, or the named ones (a container names its subcommands too). */
function latencyHistogram(c: Connection, argv: string[]): void {
  const broker = c.broker;
  const chosen: Command<Connection>[] = [];
  const withSubcommands = (cmd: Command<Connection>): Command<Connection>[] => [cmd, ...(cmd.subcommands?.values() ?? [])];
  if (argv.length === 2) {
    for (const cmd of broker.commands.commands()) chosen.push(...withSubcommands(cmd));
  } else {
    for (const name of argv.slice(2)) {
      const [base, sub] = name.split('|');
      const cmd = broker.commands.get(base);
      if (cmd === undefined) continue;
      if (sub === undefined) chosen.push(...withSubcommands(cmd));
      else if (cmd.subcommands?.has(sub.toLowerCase())) chosen.push(cmd.subcommands.get(sub.toLowerCase())!);
    }
  }
  const withData = chosen.filter((cmd) => broker.histograms.has(cmd));
  c.reply.map(withData.length);
  for (const cmd of withData) replyHistogram(c, cmd.fullname, broker.histograms.get(cmd)!);
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
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
];

export const latencyCommands: readonly CommandDef<Connection>[] = [
  { name: 'latency|latest', handler: latencyLatest },
  { name: 'latency|history', handler: latencyHistory },
  { name: 'latency|reset', handler: latencyReset },
  { name: 'latency|doctor', handler: latencyDoctor },
  { name: 'latency|histogram', handler: latencyHistogram },
  { name: 'latency|help', handler: (c, argv) => replyHelp(c.reply, argv[0], HELP) },
];

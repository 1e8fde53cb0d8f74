/** The configuration parameters this broker knows, with redis-server's names and defaults. */
import type { ParamSpec } from './config.js';

export const PARAMS: readonly ParamSpec[] = [
  { name: 'port', kind: 'int', default: '6379', min: 0, max: 65535, immutable: true },
  { name: 'bind', kind: 'string', default: '127.0.0.1 -::1', immutable: true },
  { name: 'dir', kind: 'string', default: '.' },
  { name: 'requirepass', kind: 'string', default: '' },
  { name: 'databases', kind: 'int', default: '16', min: 1, max: 2147483647, immutable: true },
  { name: 'loglevel', kind: 'enum', default: 'notice', values: ['debug', 'verbose', 'notice', 'warning'] },
  { name: 'logfile', kind: 'string', default: '', immutable: true },
  { name: 'maxclients', kind: 'int', default: '10000', min: 1, max: 2147483647 },
  { name: 'proto-max-bulk-len', kind: 'memory', default: '536870912', min: 1048576, max: 9007199254740991 },
  { name: 'client-query-buffer-limit', kind: 'memory', default: '1073741824', min: 1048576, max: 9007199254740991 },
  { name: 'hz', kind: 'int', default: '10', min: 0, max: 2147483647 },
  { name: 'timeout', kind: 'int', default: '0', min: 0, max: 2147483647 },
  { name: 'tcp-keepalive', kind: 'int', default: '300', min: 0, max: 2147483647 },
  { name: 'slowlog-log-slower-than', kind: 'int', default: '10000', min: -1, max: 9007199254740991 },
  { name: 'slowlog-max-len', kind: 'int', default: '128', min: 0, max: 9007199254740991 },
  { name: 'latency-monitor-threshold', kind: 'int', default: '0', min: 0, max: 9007199254740991 },
  { name: 'stream-node-max-entries', kind: 'int', default: '100', min: 0, max: 9007199254740991 },
  { name: 'stream-node-max-bytes', kind: 'memory', default: '4096', min: 0, max: 9007199254740991 },
];

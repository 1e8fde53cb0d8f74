/** The Redis version this broker is protocol-compatible with, and the broker's own. */
import pkg from '../package.json' with { type: 'json' };

/** Reported as `redis_version` (INFO) and `version` (HELLO): clients gate features on it. */
export const REDIS_VERSION = '7.0.15';
export const BROKER_VERSION: string = pkg.version;

/**
 * The compose tool for the compose files' tests: the Docker CLI's `docker compose`
 * plugin where it is installed, else Debian's `docker-compose` (which `.ci/run`
 * installs through test/container/docker-env.sh).
 */
import { spawnSync } from 'node:child_process';

export const NO_COMPOSE = 'neither `docker compose` nor docker-compose is installed (apt-get install docker-compose)';

let found: string[] | null | undefined;

/** The command that runs compose (`['docker', 'compose']` or `['docker-compose']`), or null. */
export function composeCommand(): string[] | null {
  found ??= [['docker', 'compose'], ['docker-compose']].find(
    ([command, ...prefix]) => spawnSync(command, [...prefix, 'version'], { stdio: 'ignore' }).status === 0,
  ) ?? null;
  return found;
}

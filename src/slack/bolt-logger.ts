import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import type { Logger } from '../logger.ts';

/** Bolt and the WebClient log through our pino logger, so their lines are redacted too. */
export function boltLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'slack' });
  let level = LogLevel.INFO;
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    // Bolt logs several debug lines per request: don't format them unless they will be written.
    debug: (...args) => {
      if (child.isLevelEnabled('debug')) child.debug(line(args));
    },
    info: (...args) => child.info(line(args)),
    warn: (...args) => child.warn(line(args)),
    error: (...args) => child.error(line(args)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

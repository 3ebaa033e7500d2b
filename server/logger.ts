import pino, { type DestinationStream, type Logger } from 'pino';

// Every path where a secret could sit in a log object is redacted; on top of that the code
// logs decisions and identifiers (member_id, user id, chat id), never payloads or tokens.
const REDACT_PATHS = [
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'auth',
  'AUTH_ID',
  'REFRESH_ID',
  'APPLICATION_TOKEN',
  'application_token',
  'applicationToken',
  'clientSecret',
  'client_secret',
  'appToken',
  'token',
  'sessionSecret',
  'password',
  'AVATAR',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.auth',
  '*.AUTH_ID',
  '*.REFRESH_ID',
  '*.APPLICATION_TOKEN',
  '*.application_token',
  '*.applicationToken',
  '*.clientSecret',
  '*.client_secret',
  '*.appToken',
  '*.AVATAR',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function createLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

export type { Logger };

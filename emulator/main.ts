import { startEmulator } from './index';

// `npm run emulator`: the local Bitrix24 alone, configured by its own environment variables.
async function main() {
  const env = process.env;
  const emulator = await startEmulator({
    host: env.EMULATOR_HOST ?? '127.0.0.1',
    oauthPort: Number(env.EMULATOR_OAUTH_PORT ?? 3010),
    avatarCdnPort: Number(env.EMULATOR_AVATAR_CDN_PORT ?? 3012),
    portals: [{ port: Number(env.EMULATOR_PORTAL_PORT ?? 3011) }],
    app: {
      clientId: env.EMULATOR_CLIENT_ID ?? 'local.chatavatar.demo',
      clientSecret: env.EMULATOR_CLIENT_SECRET ?? 'demo-secret',
      appUrl: env.EMULATOR_APP_URL ?? 'http://localhost:3000',
    },
    rateLimit: {
      threshold: Number(env.EMULATOR_RATE_THRESHOLD ?? 50),
      drainPerSecond: Number(env.EMULATOR_RATE_DRAIN ?? 2),
    },
    log: env.EMULATOR_LOG === '1' ? (line) => console.log(`[emulator] ${line}`) : undefined,
  });
  const portal = emulator.portals[0]!;
  console.log(
    `Bitrix24 emulator: open the portal at ${portal.baseUrl}/ (member_id ${portal.memberId}); OAuth server ${emulator.oauthUrl}; chat avatars on ${emulator.avatarCdnUrl}`,
  );
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

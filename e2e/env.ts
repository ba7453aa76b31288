// Settings shared by playwright.config.ts and the tests: the stand-in Resend port and cron secret,
// and the port of the stand-in model (OpenAI-compatible) that the assistant test starts.
export const E2E_RESEND_PORT = Number(process.env.E2E_RESEND_PORT ?? 4175);
export const E2E_CRON_SECRET = 'e2e-cron-secret';
export const E2E_INBOUND_SECRET = 'e2e-inbound-secret';
export const E2E_INBOUND_DOMAIN = 'reply.parley.test';
export const E2E_AI_PORT = Number(process.env.E2E_AI_PORT ?? 4177);

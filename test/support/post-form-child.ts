import { postForm, STRICT_EGRESS } from '../../server/bitrix24/http-json';

// Run as its own process (`node --import tsx test/support/post-form-child.ts <url>`) by tests
// that need an environment variable Node reads only at start (NODE_EXTRA_CA_CERTS). POSTs one
// REST-style form to <url> with the app's own client and prints one JSON line: the answer, or
// the error's class, message and the code of its cause.

const url = process.argv[2];
if (!url) throw new Error('usage: post-form-child.ts <url>');

postForm(url, new URLSearchParams({ auth: 'test-access-token' }), {
  signal: AbortSignal.timeout(10_000),
  egress: STRICT_EGRESS,
}).then(
  (answer) => console.log(JSON.stringify({ ok: true, status: answer.status, body: answer.body })),
  (error: Error & { cause?: { code?: string } }) =>
    console.log(JSON.stringify({ ok: false, name: error.name, message: error.message, cause: error.cause?.code })),
);

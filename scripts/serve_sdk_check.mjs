// The official TypeScript SDK against `ratesim serve` (run by
// serve_sdk_check.sh): the smoke test of serve_sdk_check.py in short —
// a call, a streamed call, count_tokens, models.list and a burst that ends
// in RateLimitError with the headers. Usage: node serve_sdk_check.mjs BIN NODE_DIR
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const [bin, nodeDir] = process.argv.slice(2);
const require = createRequire(path.resolve(nodeDir, 'package.json'));
const sdk = require('@anthropic-ai/sdk');
const Anthropic = sdk.default ?? sdk.Anthropic ?? sdk;
const MODEL = 'claude-sonnet-4-5';
const failures = [];
const check = (cond, what) => {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failures.push(what);
};

const proc = spawn(bin, ['serve', '--scenario', 'scripts/serve-sdk.yaml', '--port', '0',
  '--output-tokens', '40', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
const first = await new Promise((resolve) => {
  readline.createInterface({ input: proc.stderr }).once('line', resolve);
});
check(first.startsWith('listening on http://127.0.0.1:'), `first stderr line: ${first}`);
const base = first.split('listening on ')[1];

try {
  const client = new Anthropic({ baseURL: base, apiKey: 'test' });
  const models = await client.models.list();
  check(models.data.some((m) => m.id === MODEL), 'models.list names the model');
  const msgs = [{ role: 'user', content: 'Say something about rate limits.' }];
  const counted = await client.messages.countTokens({ model: MODEL, messages: msgs });
  check(counted.input_tokens === 8, `count_tokens 8 (got ${counted.input_tokens})`);
  const m = await client.messages.create({ model: MODEL, max_tokens: 100, messages: msgs });
  check(m.usage.output_tokens === 40 && m.usage.input_tokens === 8, 'non-streaming usage 8 in / 40 out');
  let streamed = '';
  const stream = client.messages.stream({ model: MODEL, max_tokens: 100,
    messages: [{ role: 'user', content: 'Stream, please.' }] });
  stream.on('text', (t) => { streamed += t; });
  const final = await stream.finalMessage();
  check(final.content[0].text === streamed && final.usage.output_tokens === 40,
    'streamed text and final usage assembled');
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) =>
    client.messages.create({ model: MODEL, max_tokens: 10,
      messages: [{ role: 'user', content: `burst ${i}` }] })));
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  check(errors.length >= 1 && errors.every((e) => e instanceof Anthropic.RateLimitError),
    `the burst ends in RateLimitError for some (${errors.length} of 6)`);
  if (errors.length) {
    const h = errors[0].headers;
    const get = (k) => (typeof h.get === 'function' ? h.get(k) : h[k]);
    check(get('retry-after') === '1' && get('anthropic-ratelimit-requests-remaining') === '0',
      'the error carries retry-after and the rate-limit headers');
  }
} catch (e) {
  check(false, `unexpected error: ${e}`);
} finally {
  proc.kill('SIGINT');
}
const code = await new Promise((resolve) => proc.on('exit', resolve));
check(code === 0, `serve exits 0 after Ctrl-C (got ${code})`);
if (failures.length) {
  console.error(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('the official TypeScript SDK works against ratesim serve');

/**
 * An account's life, measured on the multi-process stack of `make run` (free ports, throwaway
 * data, the real maildev catcher):
 *  1. forgot-password answer time for an address with an account vs one without (enumeration:
 *     the two must not be told apart by timing);
 *  2. sign-up → welcome mail in the inbox, and forgot → reset mail in the inbox;
 *  3. reset, data export, and account deletion answer times;
 *  4. deletion → no collection of any service's database holds the id or the e-mail any more.
 * Each viewer comes from its own loopback address (127.0.0.x), as separate people would, so the
 * per-address sign-up and recovery limits are not what is measured.
 * Usage: node --import tsx bench/accounts.ts [--viewers 20] [--erasures 5]
 */
import { Agent } from 'node:http';
import { MongoClient } from 'mongodb';
import { freePort, readInbox } from '@flix/testkit';
import { startFaultStack } from '../test/faults/lib/stack.js';
import { findMentions } from '../test/support/db-snapshot.js';
import { arg } from './lib/args.js';
import { httpJson } from './lib/http.js';
import { printTable, summarise, type LoadResult } from './lib/stats.js';

const viewers = arg('viewers', 20);
const erasures = Math.min(arg('erasures', 5), viewers);
const PASSWORD = 'bench viewer passphrase 1';
const NEW_PASSWORD = 'bench viewer passphrase 2';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const agents = new Map<number, Agent>();
const from = (i: number) => {
  if (!agents.has(i)) agents.set(i, new Agent({ keepAlive: true, localAddress: `127.0.0.${20 + (i % 200)}` }));
  return agents.get(i)!;
};

const mailPort = await freePort();
const stack = await startFaultStack({ env: { FLIX_MAIL_WEB_PORT: String(mailPort) } });
const inbox = readInbox(`http://127.0.0.1:${mailPort}`);
const mongo = new MongoClient(stack.mongoUrl);

/** Milliseconds from `since` until a mail to `address` whose subject matches arrives, and its text. */
async function waitForMail(address: string, subject: RegExp, since: number): Promise<{ ms: number; text: string }> {
  for (;;) {
    const m = (await inbox.to(address)).find((x) => subject.test(x.subject));
    if (m) return { ms: performance.now() - since, text: m.text };
    if (performance.now() - since > 60_000) throw new Error(`no "${subject.source}" mail to ${address} within 60 s`);
    await sleep(20);
  }
}

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
};

const results: LoadResult[] = [];
const samples = { register: [] as number[], welcome: [] as number[], forgotKnown: [] as number[], forgotUnknown: [] as number[], resetMail: [] as number[], reset: [] as number[], exportMs: [] as number[], del: [] as number[], erased: [] as number[] };
let errors = 0;
try {
  const gw = stack.gatewayUrl;
  const people: { email: string; userId: string; token: string }[] = [];
  for (let i = 0; i < viewers; i++) {
    const email = `bench-${Date.now()}-${i}@example.com`;
    const [res, ms] = await timed(() => httpJson(from(i), `${gw}/v1/auth/register`, 'POST', { email, password: PASSWORD, displayName: `Bench ${i}` }));
    if (res.status !== 200) throw new Error(`register: ${res.status} ${res.text}`);
    const sent = performance.now() - ms;
    samples.register.push(ms);
    samples.welcome.push((await waitForMail(email, /welcome/i, sent)).ms);
    const body = JSON.parse(res.text) as { accessToken: string; user: { id: string } };
    people.push({ email, userId: body.user.id, token: body.accessToken });
  }

  // Known and unknown addresses interleaved, each from its own address, so both see the same load.
  for (let i = 0; i < viewers; i++) {
    const p = people[i]!;
    const [known, knownMs] = await timed(() => httpJson(from(i), `${gw}/v1/auth/password:forgot`, 'POST', { email: p.email }));
    const sent = performance.now() - knownMs;
    const [unknown, unknownMs] = await timed(() => httpJson(from(i + 100), `${gw}/v1/auth/password:forgot`, 'POST', { email: `nobody-${Date.now()}-${i}@example.com` }));
    if (known.status !== 200 || unknown.status !== 200 || known.text !== unknown.text) throw new Error(`forgot answers differ: ${known.status} ${known.text} / ${unknown.status} ${unknown.text}`);
    samples.forgotKnown.push(knownMs);
    samples.forgotUnknown.push(unknownMs);
    const mail = await waitForMail(p.email, /reset/i, sent);
    samples.resetMail.push(mail.ms);
    const token = /reset-password\?token=([\w-]+)/.exec(mail.text)?.[1];
    if (!token) throw new Error(`no reset link in the mail to ${p.email}`);
    const [reset, resetMs] = await timed(() => httpJson(from(i), `${gw}/v1/auth/password:reset`, 'POST', { token, newPassword: NEW_PASSWORD }));
    if (reset.status !== 200) throw new Error(`reset: ${reset.status} ${reset.text}`);
    samples.reset.push(resetMs);
    // The reset signed every device out: sign in again for a token that works.
    const login = await httpJson(from(i), `${gw}/v1/auth/login`, 'POST', { email: p.email, password: NEW_PASSWORD });
    if (login.status !== 200) throw new Error(`login after reset: ${login.status} ${login.text}`);
    p.token = (JSON.parse(login.text) as { accessToken: string }).accessToken;
    const [exp, expMs] = await timed(() => httpJson(from(i), `${gw}/v1/users/me:export`, 'GET', undefined, p.token));
    if (exp.status === 200) samples.exportMs.push(expMs);
    else errors++;
  }

  for (let i = 0; i < erasures; i++) {
    const p = people[i]!;
    const [del, delMs] = await timed(() =>
      httpJson(from(i), `${gw}/v1/users/me:delete`, 'POST', { currentPassword: NEW_PASSWORD, confirmation: 'DELETE MY ACCOUNT' }, p.token),
    );
    if (del.status !== 200) throw new Error(`delete: ${del.status} ${del.text}`);
    samples.del.push(delMs);
    const since = performance.now() - delMs;
    for (let hits = await findMentions(mongo, [p.userId, p.email]); hits.length > 0; hits = await findMentions(mongo, [p.userId, p.email])) {
      if (performance.now() - since > 60_000) throw new Error(`${p.userId} still stored 60 s after its deletion:\n${hits.join('\n')}`);
      await sleep(50);
    }
    samples.erased.push(performance.now() - since);
  }

  const row = (name: string, s: number[], errs = 0) => results.push(summarise(name, s, errs, 1));
  row('POST /v1/auth/register', samples.register);
  row('register → welcome mail in the inbox', samples.welcome);
  row('POST password:forgot, address with an account', samples.forgotKnown);
  row('POST password:forgot, address without one', samples.forgotUnknown);
  row('forgot → reset mail in the inbox', samples.resetMail);
  row('POST password:reset', samples.reset);
  row('GET /v1/users/me:export', samples.exportMs, errors);
  row('POST /v1/users/me:delete', samples.del);
  row('delete → no database mentions the id or e-mail', samples.erased);
} finally {
  await mongo.close();
  await stack.stop();
  for (const a of agents.values()) a.destroy();
}
console.log(`\n${viewers} viewers, ${erasures} deletions (req/s and seconds are not meaningful here: one request at a time)\n`);
printTable(results);

import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging/logger';
import { REDACTED, redactDeep } from '../../src/logging/redact';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

describe('log redaction', () => {
  it('redacts a passcode at any depth, and secrets, tokens and authorization headers', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', 'test', stream);
    log.info(
      {
        result: { deviceActionResults: [{ actionName: 'resetPasscode', passcode: 'CANARY-123456' }] },
        req: { headers: { authorization: 'Bearer abc.def.ghi', 'x-hub-signature': 'sha256=ff' } },
        clientSecret: 'client-secret-value',
        nested: { deeper: { access_token: 'tok-value', apiToken: 'api-value', password: 'pw-value' } },
        message: 'called with Bearer eyJhbGciOi.payload.sig',
      },
      'graph answered',
    );
    const line = lines.join('');
    for (const secret of ['CANARY-123456', 'abc.def.ghi', 'client-secret-value', 'tok-value', 'api-value', 'pw-value', 'eyJhbGciOi', 'sha256=ff']) {
      expect(line).not.toContain(secret);
    }
    const parsed = JSON.parse(line) as { result: { deviceActionResults: { passcode: string; actionName: string }[] } };
    expect(parsed.result.deviceActionResults[0]).toEqual({ actionName: 'resetPasscode', passcode: REDACTED });
  });

  it('redacts inside errors logged as err', () => {
    const { lines, stream } = capture();
    createLogger('info', 'test', stream).error({ err: Object.assign(new Error('token rejected: Bearer sekrit-token'), { passcode: 'CANARY-9' }) }, 'failed');
    expect(lines.join('')).not.toMatch(/sekrit-token|CANARY-9/);
  });

  it('logs a Redis reply error by its class, text and cause, never with the command\'s arguments', () => {
    const { lines, stream } = capture();
    const reply = Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), {
      name: 'ReplyError',
      command: { name: 'evalsha', args: ['sha', '2', 'k', '{"requestedBy":"CANARY-PERSON@contoso.com","csrf":"CANARY-CSRF-7"}'] },
    });
    const log = createLogger('info', 'test', stream);
    log.warn({ err: reply }, 'request store unavailable');
    log.warn({ err: new Error('The request store (Redis) is unavailable', { cause: reply }) }, 'wrapped');
    const text = lines.join('');
    expect(text).not.toMatch(/CANARY-PERSON|CANARY-CSRF|evalsha/);
    const [direct, wrapped] = lines.map((l) => JSON.parse(l) as { err: { type: string; message: string; cause?: { type: string } } });
    expect(direct?.err).toMatchObject({ type: 'ReplyError', message: expect.stringMatching(/^OOM/) as unknown });
    expect(wrapped?.err).toMatchObject({ type: 'Error', cause: { type: 'ReplyError' } });
  });

  it('keeps ordinary fields, and survives cycles', () => {
    const cyclic: Record<string, unknown> = { requestId: 'r1', device: { serialNumber: 'SN1' } };
    cyclic.self = cyclic;
    expect(redactDeep(cyclic)).toEqual({ requestId: 'r1', device: { serialNumber: 'SN1' }, self: '[circular]' });
  });
});

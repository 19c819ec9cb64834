import type { TestIntake } from '../support/intake';

/** A signed-in dashboard session for tests: the cookie header and the CSRF token the pages carry. */
export interface OpsLogin {
  readonly cookie: string;
  readonly csrf: string;
}

export async function signIn(t: TestIntake, who: keyof TestIntake['tokens']): Promise<OpsLogin> {
  const res = await t.app.inject({ method: 'POST', url: '/ops/login', payload: { token: t.tokens[who] }, headers: { 'content-type': 'application/json' } });
  if (res.statusCode !== 303) throw new Error(`sign-in as ${who} answered ${String(res.statusCode)}: ${res.body.slice(0, 300)}`);
  const set = res.cookies.find((c) => c.name === 'resetpc_ops');
  if (set === undefined) throw new Error('no session cookie');
  const cookie = `resetpc_ops=${set.value}`;
  const page = await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (csrf === undefined) throw new Error(`no CSRF token on the overview (${String(page.statusCode)})`);
  return { cookie, csrf };
}

/** Posts a dashboard form (url-encoded, as a browser does), with the session's CSRF token unless `csrf` says otherwise (null: none). */
export function postForm(t: TestIntake, url: string, login: OpsLogin | undefined, fields: Record<string, string> = {}, csrf: string | null = login?.csrf ?? null) {
  const body = new URLSearchParams({ ...(csrf === null ? {} : { _csrf: csrf }), ...fields }).toString();
  return t.app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(login === undefined ? {} : { cookie: login.cookie }) },
  });
}

import { GraphError } from '../../src/graph/errors';
import { ServiceNowForbiddenError } from '../../src/ticketing/servicenow';
import { classify, failedOnSuccess } from '../../src/remote/classify';

/** One rule for "an answer with a success status that its client could not read", read by classify() and the submit step. */
describe('failedOnSuccess, a success status whose answer the client could not read', () => {
  const unreadable = new GraphError('graph_bad_request', 'the answer could not be read', { status: 200 });

  it('is true for a remote error raised on a 2xx status, and classify() then calls it an internal bug of that system', () => {
    expect(failedOnSuccess(unreadable)).toBe(true);
    expect(failedOnSuccess(new GraphError('graph_bad_request', 'unreadable', { status: 204 }))).toBe(true);
    expect(classify(unreadable)).toMatchObject({ kind: 'internal', system: 'graph', code: 'unexpected_error', bug: true });
  });

  it.each([
    ['a Graph 400', new GraphError('graph_bad_request', 'refused', { status: 400 })],
    ['a Graph 503', new GraphError('graph_unavailable', 'down', { status: 503 })],
    ['a Graph error without a status', new GraphError('graph_unavailable', 'socket hang up')],
    ['a ServiceNow 403', new ServiceNowForbiddenError('denied', undefined)],
    ['an error that is not a remote one, even with a 200', Object.assign(new Error('x'), { status: 200 })],
  ])('is false for %s', (_name, err) => {
    expect(failedOnSuccess(err)).toBe(false);
  });
});

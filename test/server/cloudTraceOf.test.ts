import { cloudTraceOf } from '../../src/server/cloudTraceOf.js';

const TRACE_ID = '105445aa7843bc8bf206b12000100000';

describe('cloudTraceOf', () => {
  it("reads the trace id from the Google load balancer's header", () => {
    expect(
      cloudTraceOf(
        { 'x-cloud-trace-context': `${TRACE_ID}/1;o=1` },
        'my-project',
      ),
    ).toBe(`projects/my-project/traces/${TRACE_ID}`);
  });

  it('reads a W3C traceparent when there is no Cloud header', () => {
    expect(
      cloudTraceOf(
        { traceparent: `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01` },
        'my-project',
      ),
    ).toBe(`projects/my-project/traces/${TRACE_ID}`);
  });

  it('gives nothing without a project, a header, or a well-formed id', () => {
    const header = { 'x-cloud-trace-context': `${TRACE_ID}/1;o=1` };
    expect(cloudTraceOf(header, undefined)).toBeUndefined();
    expect(cloudTraceOf({}, 'my-project')).toBeUndefined();
    expect(
      cloudTraceOf({ 'x-cloud-trace-context': 'not-a-trace/1' }, 'p'),
    ).toBeUndefined();
    expect(cloudTraceOf({ traceparent: '00-zz-11-01' }, 'p')).toBeUndefined();
  });
});

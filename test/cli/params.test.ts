import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { buildParameters } from '../../src/cli/params.js';

describe('buildParameters (run --param / --params-json)', () => {
  it('when a value is valid JSON, then it is sent as that JSON value, else as the string', () => {
    const parameters = buildParameters(['n=3', 'f=1.5', 't=true', 'nil=null', 'o={"a":[1]}', 's=hello', 'zero=007', 'q="42"', 'e='], undefined);

    expect(parameters).toEqual({ n: 3, f: 1.5, t: true, nil: null, o: { a: [1] }, s: 'hello', zero: '007', q: '42', e: '' });
  });

  it('when a key has dots or the value has "=", then both are kept as written', () => {
    expect(buildParameters(['a.b=1', 'expr=x=y'], undefined)).toEqual({ 'a.b': 1, expr: 'x=y' });
  });

  it('when --params-json is given, then --param adds keys to it', () => {
    expect(buildParameters(['b=2'], '{"a":{"x":1}}')).toEqual({ a: { x: 1 }, b: 2 });
  });

  it('when a key is given twice, in either form, then it is a usage error naming the key', () => {
    expect(() => buildParameters(['k=1', 'k=2'], undefined)).toThrow(/Parameter "k" is given more than once/);
    expect(() => buildParameters(['k=1'], '{"k":0}')).toThrow(UsageError);
  });

  it('when --param has no key or no "=", or --params-json is not a JSON object, then it is a usage error', () => {
    expect(() => buildParameters(['=1'], undefined)).toThrow(/expects key=value/);
    expect(() => buildParameters(['flag'], undefined)).toThrow(/expects key=value/);
    expect(() => buildParameters([], '[1,2]')).toThrow(/must be a JSON object/);
    expect(() => buildParameters([], '{oops')).toThrow(/not valid JSON/);
  });
});

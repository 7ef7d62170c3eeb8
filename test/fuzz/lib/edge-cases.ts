/**
 * Hand-picked nasty inputs: Unicode edge cases, strings that break patterns, bad JSON texts,
 * deep nesting. Kept as data so a failure message can name exactly what was sent.
 */

/** Strings that are valid Unicode-wise questionable: each is legal inside a JSON string. */
export const UNICODE_EDGES: ReadonlyArray<readonly [string, string]> = [
  ['lone high surrogate', 'a\uD800b'],
  ['lone low surrogate', 'a\uDC00b'],
  ['reversed surrogate pair', '\uDE00\uD83D'],
  ['right-to-left override', 'abc\u202Egnp.exe'],
  ['right-to-left mark', '\u200Fשלום'],
  ['zero-width space', 'ze\u200Bro'],
  ['zero-width joiner emoji', '\u{1F469}\u200D\u{1F4BB}'],
  ['byte order mark inside', '\uFEFFbom'],
  ['NUL', 'nul\u0000byte'],
  ['only NUL', '\u0000'],
  ['C0 controls', '\u0001\u0002\u001b[31m\u007f'],
  ['C1 control', 'x\u0085y'],
  ['line separator', 'a\u2028b\u2029c'],
  ['noncharacter', '\uFFFE\uFFFF'],
  ['combining marks', 'Z\u0351\u0362\u0334\u0358a\u0360\u0337\u0359l\u0337\u0353g\u0352o'],
  ['astral plane', '\u{10FFFF}\u{1D11E}'],
  ['fullwidth', 'ＡＢＣ１２３'],
  ['homoglyph', 'аdmin'],
  ['replacement character', '\uFFFD'],
  ['emoji', '\u{1F680}\u{1F525}'],
  ['html', '<script>alert(1)</script>'],
  ['sql', "'; DROP TABLE agents; --"],
  ['path traversal', '../../etc/passwd'],
  ['format string', '%s%s%n%x'],
  ['template', '${process.exit()}{{7*7}}'],
  ['newline header injection', 'x\r\nSet-Cookie: a=b'],
  ['prototype', '__proto__'],
];

/** True when a string holds an unpaired UTF-16 surrogate (legal in JSON as `\ud800`, not Unicode text). */
export function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

/** A string of `n` characters drawn round-robin from `alphabet`. */
export function repeatTo(alphabet: string, n: number): string {
  if (n <= 0) return '';
  return alphabet.repeat(Math.ceil(n / alphabet.length)).slice(0, n);
}

/** Text that some JSON parsers accept and strict JSON does not. Each is wrapped around or injected into a valid body. */
export function badJsonTexts(valid: string, cutAt: number): Array<readonly [string, Buffer]> {
  const inner = valid.startsWith('{') ? valid.slice(1) : valid;
  const b = (s: string) => Buffer.from(s, 'utf8');
  return [
    ['truncated', b(valid.slice(0, Math.max(1, Math.min(valid.length - 1, cutAt))))],
    ['UTF-8 BOM before a truncated body', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b(valid.slice(0, Math.max(1, Math.min(valid.length - 1, cutAt))))])],
    ['two UTF-8 BOMs', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), b(valid)])],
    ['trailing garbage', b(`${valid}x`)],
    ['trailing second document', b(`${valid}\n{"a":1}`)],
    ['trailing brace', b(`${valid}}`)],
    ['trailing NUL', b(`${valid}\u0000`)],
    ['leading XSSI guard', b(`)]}'\n${valid}`)],
    ['NaN value', b(`{"fuzz":NaN,${inner}`)],
    ['Infinity value', b(`{"fuzz":Infinity,${inner}`)],
    ['negative Infinity value', b(`{"fuzz":-Infinity,${inner}`)],
    ['single quotes', b(valid.replace(/"/g, "'"))],
    ['comment', b(`{/* comment */${inner}`)],
    ['line comment', b(`{// comment\n${inner}`)],
    ['trailing comma', b(valid.replace(/}$/, ',}'))],
    ['unquoted key', b(`{fuzz:1,${inner}`)],
    ['raw control character in a string', b(valid.replace('":"', '":"\u0001'))],
    ['raw newline in a string', b(valid.replace('":"', '":"a\nb'))],
    ['bad escape', b(valid.replace('":"', '":"\\x41'))],
    ['invalid UTF-8 before the body', Buffer.concat([Buffer.from([0xff, 0xfe, 0xfd]), b(valid)])],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')])],
    ['UTF-16BE', Buffer.from(valid, 'utf16le').swap16()],
    ['hex number', b(`{"fuzz":0x10,${inner}`)],
    ['leading zero number', b(`{"fuzz":007,${inner}`)],
    ['plus number', b(`{"fuzz":+1,${inner}`)],
    ['undefined literal', b(`{"fuzz":undefined,${inner}`)],
    ['unterminated string', b(`{"fuzz":"abc`)],
    ['whitespace only', b(' \n\t ')],
    ['null root', b('null')],
    ['string root', b('"just a string"')],
    ['number root', b('42')],
    ['boolean root', b('true')],
  ];
}

/** `[[[...]]]` nested `depth` times. */
export function deepArrayText(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** `{"a":{"a":...1}}` nested `depth` times. */
export function deepObjectText(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

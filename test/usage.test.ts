import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable, quote } from '../src/usage';

describe('user text in messages', () => {
  it('escapes C0 and C1 controls and DEL, so a message stays one line and cannot drive the terminal', () => {
    assert.equal(printable('a\nb\rc\td'), 'a\\nb\\rc\\td');
    assert.equal(printable('\x1b[31mred\x1b[0m'), '\\x1b[31mred\\x1b[0m');
    assert.equal(printable('\x00\x07\x7f\u0085\u009b'), '\\x00\\x07\\x7f\\x85\\x9b');
  });
  it('leaves printable text alone, non-ASCII included, and changes nothing when applied twice', () => {
    assert.equal(printable('bücher.example [::1]:80 C:\\dir'), 'bücher.example [::1]:80 C:\\dir');
    assert.equal(printable(printable('x\ny')), printable('x\ny'));
  });
  it('quotes', () => assert.equal(quote('a\nb'), "'a\\nb'"));
});

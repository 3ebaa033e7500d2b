import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

// How hard a secret is to guess, estimated the way an attacker guesses: zxcvbn's matchers
// (dictionary words, English and common passwords, keyboard walks, repeats, sequences, dates,
// l33t), not a count of characters. The alphabet, `changeme` five times, key bytes 00..1f and
// a 16-character `aaaa…` token all have many distinct or enough characters, and all are guessed
// in under a million tries. A random value is scored as brute force: about one guess in ten
// per character, so a 32-character random secret estimates at 10^32.

let estimator: ZxcvbnFactory | null = null;

/** log10 of the guesses zxcvbn estimates for `secret` (its first 128 characters, which suffice). */
export function guessesLog10(secret: string): number {
  // Built on first use: its dictionaries take about half a second to unpack, and only a
  // production start asks.
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    // Fewer l33t variants tried: a random secret has many substitutable characters, and the
    // default makes one check take seconds; a patterned one is found by the other matchers.
    l33tMaxSubstitutions: 4,
    maxLength: 128,
  });
  return estimator.check(secret).guessesLog10;
}

/**
 * Key bytes judged as text, one character a byte (latin1): a run of bytes 00, 01, 02… is a
 * sequence, a repeated block a repeat, ASCII bytes a word, as they would be in a password.
 */
export function keyGuessesLog10(key: Buffer): number {
  return guessesLog10(key.toString('latin1'));
}

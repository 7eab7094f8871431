/**
 * The three error families (protocol `ERR_*`, media `ERR_MEDIA_*`, database `DB_ERR_*`): every key
 * maps to its code under the family's prefix, and docs/errors.md documents exactly the family's
 * codes in the family's section.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DecodeError, ErrorCode, isErrorCode } from '../../common/errors';
import { MediaError, MediaErrorCode } from '../../client/media/errors';
import { DB_ERROR_CODES } from '../../db/errors';
import { errorFields } from '../../client/cli';

interface Family {
  name: string;
  /** Heading of the family's section in docs/errors.md (without `## `). */
  heading: string;
  prefix: string;
  codes: Readonly<Record<string, string>>;
  /** The code that `key` must map to. */
  codeOf(key: string): string;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'protocol',
    heading: 'Protocol errors (`ERR_*`)',
    prefix: 'ERR_',
    codes: ErrorCode,
    codeOf: (key) => `ERR_${key}`,
  },
  {
    name: 'media',
    heading: 'Media errors (`ERR_MEDIA_*`)',
    prefix: 'ERR_MEDIA_',
    codes: MediaErrorCode,
    codeOf: (key) => `ERR_MEDIA_${key}`,
  },
  {
    name: 'database',
    heading: 'Database errors (`DB_ERR_*`)',
    prefix: 'DB_ERR_',
    codes: DB_ERROR_CODES,
    // Database keys are the codes themselves.
    codeOf: (key) => key,
  },
];

/** Codes in the first column of each section's tables, by section heading, in order. */
function documentedCodes(): Map<string, string[]> {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
  const sections = new Map<string, string[]>();
  let section = '';
  for (const line of doc.split('\n')) {
    const heading = /^## (.+?)\s*$/.exec(line);
    if (heading) {
      section = heading[1]!;
      sections.set(section, []);
      continue;
    }
    const row = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (row) {
      if (!sections.has(section)) sections.set(section, []);
      sections.get(section)!.push(row[1]!);
    }
  }
  return sections;
}

describe('error codes', () => {
  const documented = documentedCodes();

  for (const family of FAMILIES) {
    describe(`${family.name} errors (${family.prefix}*)`, () => {
      it(`each key maps to its code, prefixed ${family.prefix}`, () => {
        assert.ok(Object.keys(family.codes).length > 0);
        for (const [key, code] of Object.entries(family.codes)) {
          assert.equal(code, family.codeOf(key), `key ${key}`);
          assert.ok(code.startsWith(family.prefix), `${code} lacks the prefix ${family.prefix}`);
        }
      });

      it(`docs/errors.md lists every code in "${family.heading}", and nothing else there`, () => {
        const listed = documented.get(family.heading);
        assert.ok(listed, `docs/errors.md has no section "## ${family.heading}"`);
        const codes = new Set(Object.values(family.codes));
        const missing = [...codes].filter((code) => !listed.includes(code));
        const unknown = listed.filter((code) => !codes.has(code));
        const twice = listed.filter((code, i) => listed.indexOf(code) !== i);
        assert.deepEqual(missing, [], 'codes not documented');
        assert.deepEqual(unknown, [], 'documented codes that do not exist');
        assert.deepEqual(twice, [], 'codes documented twice');
      });
    });
  }

  it('no code belongs to two families, and docs/errors.md lists codes only in family sections', () => {
    const all = FAMILIES.flatMap((family) => Object.values(family.codes));
    assert.equal(new Set(all).size, all.length);
    const headings = new Set(FAMILIES.map((family) => family.heading));
    const stray = [...documented].filter(
      ([heading, codes]) => !headings.has(heading) && codes.length,
    );
    assert.deepEqual(stray, [], 'codes documented outside a family section');
  });

  it('isErrorCode knows the protocol codes only', () => {
    assert.ok(isErrorCode('ERR_BAD_TOKEN'));
    assert.ok(!isErrorCode('ERR_NOPE'));
    assert.ok(!isErrorCode(MediaErrorCode.OPEN_FAILED));
  });

  it('the bot prints a media or protocol error with its own code, anything else as ERR_INTERNAL', () => {
    const media = new MediaError(MediaErrorCode.CAPTURE_FAILED, 'camera 0: read failed');
    assert.deepEqual(errorFields(media), {
      code: 'ERR_MEDIA_CAPTURE_FAILED',
      message: 'camera 0: read failed',
    });
    assert.equal(
      errorFields(new DecodeError('truncated or non-media frame')).code,
      'ERR_BAD_FRAME',
    );
    assert.equal(errorFields(new TypeError('x')).code, 'ERR_INTERNAL');
    assert.equal(errorFields('thrown string').code, 'ERR_INTERNAL');
  });
});

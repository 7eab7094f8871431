import assert from 'node:assert/strict';
import { MediaError, MediaErrorCode, describeThrown } from '../../../client/media/errors';

describe('media errors', function () {
  it('every code is ERR_MEDIA_ followed by its key', function () {
    for (const [key, code] of Object.entries(MediaErrorCode))
      assert.equal(code, `ERR_MEDIA_${key}`);
  });

  it('MediaError carries its code, name and cause', function () {
    const cause = new Error('inner');
    const error = new MediaError(MediaErrorCode.BAD_JPEG, 'bad', { cause });
    assert.ok(error instanceof Error);
    assert.equal(error.code, 'ERR_MEDIA_BAD_JPEG');
    assert.equal(error.name, 'MediaError');
    assert.equal(error.cause, cause);
  });

  it('describeThrown turns the plain strings OpenCV throws into messages', function () {
    assert.equal(describeThrown('VideoCapture::New - failed'), 'VideoCapture::New - failed');
    assert.equal(describeThrown(new TypeError('x')), 'x');
  });
});

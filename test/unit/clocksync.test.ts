import assert from 'node:assert/strict';
import { ClockSync } from '../../client/ClockSync';

describe('ClockSync', () => {
  it('takes the offset from the sample with the smallest round trip', () => {
    const clock = new ClockSync();
    assert.equal(clock.offset, 0, 'no sample: no offset');
    assert.ok(Number.isNaN(clock.rtt));
    // Server 1000 ms ahead; the slow samples' asymmetric delays would skew the estimate.
    clock.add({ sent: 0, server: 1040, received: 50 }); // rtt 50, offset 1015
    clock.add({ sent: 100, server: 1101, received: 102 }); // rtt 2, offset 1000
    clock.add({ sent: 200, server: 1290, received: 300 }); // rtt 100, offset 1040
    assert.equal(clock.rtt, 2);
    assert.equal(clock.offset, 1000);
    assert.equal(clock.toServer(5000), 6000);
    assert.equal(clock.toLocal(6000), 5000);
  });

  it('forgets samples beyond its window and ignores negative round trips', () => {
    const clock = new ClockSync(2);
    clock.add({ sent: 0, server: 501, received: 2 }); // rtt 2, offset 500
    clock.add({ sent: 10, server: 525, received: 20 }); // rtt 10, offset 510
    clock.add({ sent: 30, server: 545, received: 40 }); // evicts the best one
    assert.equal(clock.rtt, 10);
    assert.equal(clock.offset, 510);
    clock.add({ sent: 50, server: 0, received: 40 });
    assert.equal(clock.samples, 2, 'a reply before its request is no sample');
  });
});

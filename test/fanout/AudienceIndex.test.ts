import {
  AudienceIndex,
  type AudienceKeys,
} from '../../src/fanout/AudienceIndex.js';

const entry = (
  userId: string,
  organizationId: string | null,
  locationId: string | null,
): AudienceKeys => ({ userId, organizationId, locationId });

describe('AudienceIndex', () => {
  it('finds entries by location, organisation and user', () => {
    const index = new AudienceIndex<AudienceKeys>();
    const zelo = entry('zelo', 'org-1', 'location-2');
    const zolo = entry('zolo', null, 'location-3');
    const zewi = entry('zewi', 'org-1', null);
    [zelo, zolo, zewi].forEach((e) => index.add(e));

    expect([...index.atLocation('location-2')]).toEqual([zelo]);
    expect([...index.atLocation('location-3')]).toEqual([zolo]);
    expect([...index.inOrganization('org-1')]).toEqual([zelo, zewi]);
    expect([...index.ofUser('zolo')]).toEqual([zolo]);
    expect(index.atLocation('location-9').size).toBe(0);
    expect(index.inOrganization('org-9').size).toBe(0);
    expect(index.sizes).toEqual({ locations: 2, organizations: 1, users: 3 });
  });

  it('keeps one user’s connections apart and drops a key with its last entry', () => {
    const index = new AudienceIndex<AudienceKeys>();
    const phone = entry('zelo', 'org-1', 'location-2');
    const laptop = entry('zelo', 'org-1', 'location-2');
    index.add(phone);
    index.add(laptop);
    expect(index.ofUser('zelo').size).toBe(2);

    index.remove(phone);
    expect([...index.ofUser('zelo')]).toEqual([laptop]);
    expect([...index.atLocation('location-2')]).toEqual([laptop]);

    index.remove(laptop);
    index.remove(laptop);
    expect(index.sizes).toEqual({ locations: 0, organizations: 0, users: 0 });
  });
});

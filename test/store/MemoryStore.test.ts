import { DomainError } from '../../src/domain/DomainError.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { describeStoreContract, rejectionOf } from './storeContract.js';

describeStoreContract('MemoryStore', (clock) =>
  Promise.resolve({
    store: new MemoryStore({ clock: clock.now }),
    dispose: () => Promise.resolve(),
  }),
);

describe('MemoryStore', () => {
  it('starts from the fixture it is given', async () => {
    const store = new MemoryStore({
      fixture: {
        organizations: [{ id: 'o', name: 'O' }],
        locations: [{ id: 'l', name: 'L', organizationId: 'o' }],
        users: [{ id: 'u', name: 'U', organizationId: 'o', locationId: null }],
      },
    });
    expect(await store.getUser('u')).toEqual({
      id: 'u',
      name: 'U',
      organizationId: 'o',
      locationId: null,
    });
    expect(await store.getUser('zowi')).toBeNull();
    const event = await store.addTemplate('u', {
      name: 'n',
      shareLocationIds: ['l'],
    });
    expect(event.shareOrganizationIds).toEqual(['o']);
  });

  it('refuses every call once closed', async () => {
    const store = new MemoryStore();
    await store.close();
    await expect(store.ping()).rejects.toThrow('closed');
    expect(await rejectionOf(store.getUser('zowi'))).not.toBeInstanceOf(
      DomainError,
    );
  });

  it('returns events that callers cannot change', async () => {
    const store = new MemoryStore();
    const event = await store.addTemplate('zowi', {
      name: 'n',
      shareLocationIds: ['location-1'],
    });
    expect(Object.isFrozen(event.template.shareLocationIds)).toBe(true);
    expect(Object.isFrozen(event.author)).toBe(true);
  });
});

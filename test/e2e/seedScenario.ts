import { connectFeed, type FeedClient } from '../support/feedClient.js';
import { addTemplate } from '../support/graphqlHttp.js';
import { seedUserTokens } from '../support/tokens.js';

/** Where an instance answers. */
export interface Endpoint {
  readonly graphqlUrl: string;
  readonly wsUrl: string;
}

/**
 * How long "nothing arrived" is waited for before it is believed. It is not
 * a timing assertion: each wait is followed by an event that must arrive at
 * the same subscriber, proving deliveries were flowing all along.
 */
const SETTLE_MILLIS = 300;

const settle = () =>
  new Promise((resolve) => setTimeout(resolve, SETTLE_MILLIS));

/**
 * DESIGN.md's expected behaviour, end to end over real sockets: zowi shares
 * with location-3 and exactly zolo, zewi and zelo receive it; zapa shares
 * with location-5 and only zuri receives it. The subscribers that must get
 * nothing are then sent an event they are entitled to, which must be the
 * first and only thing they received.
 */
export async function runSeedScenario(endpoint: Endpoint): Promise<void> {
  const tokens = await seedUserTokens();
  const feeds: FeedClient[] = [];
  const feed = async (userId: string, label = userId) => {
    const client = await connectFeed(endpoint.wsUrl, tokens[userId], {
      label,
    });
    feeds.push(client);
    return client;
  };

  try {
    const zowi1 = await feed('zowi', 'zowi#1');
    const zowi2 = await feed('zowi', 'zowi#2');
    const zolo = await feed('zolo');
    const zewi = await feed('zewi');
    const zelo = await feed('zelo');
    const zapa = await feed('zapa');
    const zuri = await feed('zuri');
    await Promise.all(feeds.map((client) => client.barrier()));

    // zowi shares with location-3.
    const first = await addTemplate(endpoint.graphqlUrl, tokens.zowi!, {
      name: 'Opening checklist',
      shareLocationIds: ['location-3'],
    });
    const firstOnWire = {
      id: first.id,
      name: 'Opening checklist',
      shareLocationIds: ['location-3'],
    };
    await Promise.all(
      [zolo, zewi, zelo].map((client) => client.waitForCount(1)),
    );

    // zapa shares with location-5.
    const second = await addTemplate(endpoint.graphqlUrl, tokens.zapa!, {
      name: 'Closing checklist',
      shareLocationIds: ['location-5'],
    });
    await zuri.waitForCount(1);
    await settle();

    expect(zolo.received).toEqual([firstOnWire]);
    expect(zewi.received).toEqual([firstOnWire]);
    expect(zelo.received).toEqual([firstOnWire]);
    expect(zuri.received).toEqual([
      {
        id: second.id,
        name: 'Closing checklist',
        shareLocationIds: ['location-5'],
      },
    ]);
    expect(zowi1.received).toEqual([]);
    expect(zowi2.received).toEqual([]);
    expect(zapa.received).toEqual([]);

    // Proof the settle wait was long enough: events that zowi's two
    // connections and zapa ARE entitled to arrive, and are the first thing
    // each of them received.
    const toZowi = await addTemplate(endpoint.graphqlUrl, tokens.zelo!, {
      name: 'For location 1',
      shareLocationIds: ['location-1'],
    });
    const toZapa = await addTemplate(endpoint.graphqlUrl, tokens.zuri!, {
      name: 'For location 5 from zuri',
      shareLocationIds: ['location-5'],
    });
    await Promise.all([
      zowi1.waitForCount(1),
      zowi2.waitForCount(1),
      zapa.waitForCount(1),
    ]);
    expect(zowi1.received.map((t) => t.id)).toEqual([toZowi.id]);
    expect(zowi2.received.map((t) => t.id)).toEqual([toZowi.id]);
    expect(zapa.received.map((t) => t.id)).toEqual([toZapa.id]);

    for (const client of feeds) expect(client.errors).toEqual([]);
  } finally {
    await Promise.all(feeds.map((client) => client.dispose()));
  }
}

import { addTemplate } from '../support/graphqlHttp.js';
import { seedUserTokens } from '../support/tokens.js';
import {
  connectSeedFeeds,
  type ClusterEndpoint,
  queryTemplate,
} from './clusterKit.js';

/**
 * DESIGN.md's expected behaviour across four instance processes, the seed
 * users' clients spread over them as SEED_PLACEMENT says:
 *
 * 1. zowi shares with location-3 through instance 1: zolo (instance 2), zewi
 *    (3) and zelo (4) each receive it once; `template(id)` through instance
 *    3 returns it to zelo and nothing to zapa.
 * 2. zapa shares with location-5 through instance 2: only zuri (3) gets it.
 * 3. Then everyone who must not have received those gets an event they ARE
 *    entitled to, from yet another instance, and it must be the first thing
 *    they received; the receivers of step 1 get a second one, which must
 *    follow it directly.
 */
export async function runCrossInstanceScenario(
  instances: readonly ClusterEndpoint[],
): Promise<void> {
  const [one, two, three, four] = instances;
  if (four === undefined) throw new Error('the scenario needs four instances');
  const tokens = await seedUserTokens();
  const token = (userId: string) => tokens[userId] ?? '';
  const feeds = await connectSeedFeeds(instances, tokens);
  const clients = feeds.byLabel;

  try {
    // 1. zowi -> location-3, through instance 1.
    const opening = await addTemplate(one!.graphqlUrl, token('zowi'), {
      name: 'Opening checklist',
      shareLocationIds: ['location-3'],
    });
    await Promise.all(
      [clients.zolo, clients.zewi, clients.zelo].map((feed) =>
        feed.waitForCount(1),
      ),
    );
    expect(clients.zolo.received).toEqual([
      {
        id: opening.id,
        name: 'Opening checklist',
        shareLocationIds: ['location-3'],
      },
    ]);
    await expect(
      queryTemplate(three!.graphqlUrl, token('zelo'), opening.id),
    ).resolves.toEqual({
      id: opening.id,
      name: 'Opening checklist',
      shareLocationIds: ['location-3'],
      createdBy: { id: 'zowi' },
    });
    await expect(
      queryTemplate(three!.graphqlUrl, token('zapa'), opening.id),
    ).resolves.toBeNull();

    // 2. zapa -> location-5, through instance 2.
    const closing = await addTemplate(two!.graphqlUrl, token('zapa'), {
      name: 'Closing checklist',
      shareLocationIds: ['location-5'],
    });
    await clients.zuri.waitForCount(1);

    // 3. Events the others are entitled to, each from another instance.
    const toZowi = await addTemplate(four.graphqlUrl, token('zelo'), {
      name: 'For location 1',
      shareLocationIds: ['location-1'],
    });
    await Promise.all([
      clients['zowi#1'].waitForCount(1),
      clients['zowi#2'].waitForCount(1),
      clients.zewi.waitForCount(2),
    ]);
    const toZapa = await addTemplate(three!.graphqlUrl, token('zuri'), {
      name: 'For location 5',
      shareLocationIds: ['location-5'],
    });
    await clients.zapa.waitForCount(1);
    const again = await addTemplate(one!.graphqlUrl, token('zowi'), {
      name: 'Opening checklist, again',
      shareLocationIds: ['location-3'],
    });
    await Promise.all([
      clients.zolo.waitForCount(2),
      clients.zewi.waitForCount(3),
      clients.zelo.waitForCount(2),
    ]);

    expect(feeds.receivedIds()).toEqual({
      'zowi#1': [toZowi.id],
      'zowi#2': [toZowi.id],
      zolo: [opening.id, again.id],
      zapa: [toZapa.id],
      zewi: [opening.id, toZowi.id, again.id],
      zuri: [closing.id],
      zelo: [opening.id, again.id],
    });
    for (const feed of feeds.all) expect(feed.errors).toEqual([]);
  } finally {
    await feeds.dispose();
  }
}

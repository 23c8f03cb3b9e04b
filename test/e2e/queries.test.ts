import { randomUUID } from 'node:crypto';

import {
  addTemplate,
  postGraphQL,
  type AddedTemplate,
} from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';

const TEMPLATES = /* GraphQL */ `
  query {
    templates {
      id
      name
      shareLocationIds
      createdAt
      createdBy {
        id
      }
    }
  }
`;

const TEMPLATE = /* GraphQL */ `
  query Template($id: ID!) {
    template(id: $id) {
      id
      name
      shareLocationIds
      createdAt
      createdBy {
        id
        name
        organization {
          id
          name
        }
        location {
          id
          organization {
            id
          }
        }
      }
    }
  }
`;

describe('templates and template(id)', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;
  // Added in this order, so newest first is the reverse.
  let toLocation3ByZowi: AddedTemplate;
  let toLocation1ByZelo: AddedTemplate;
  let toLocation5ByZapa: AddedTemplate;
  let toLocation2ByZowi: AddedTemplate;

  const templateIdsOf = async (userId: string) => {
    const response = await postGraphQL<{ templates: AddedTemplate[] }>(
      instance.graphqlUrl,
      { query: TEMPLATES, token: tokens[userId] },
    );
    expect(response.errors).toBeUndefined();
    return response.data?.templates.map((template) => template.id);
  };

  const templateFor = async (userId: string, id: string) => {
    const response = await postGraphQL<{ template: unknown }>(
      instance.graphqlUrl,
      { query: TEMPLATE, variables: { id }, token: tokens[userId] },
    );
    expect(response.errors).toBeUndefined();
    return response.data?.template;
  };

  beforeAll(async () => {
    instance = await startTestServer();
    tokens = await seedUserTokens();
    const add = (userId: string, name: string, shareLocationIds: string[]) =>
      addTemplate(instance.graphqlUrl, tokens[userId]!, {
        name,
        shareLocationIds,
      });
    toLocation3ByZowi = await add('zowi', 'one', ['location-3']);
    toLocation1ByZelo = await add('zelo', 'two', ['location-1']);
    toLocation5ByZapa = await add('zapa', 'three', ['location-5']);
    toLocation2ByZowi = await add('zowi', 'four', ['location-2']);
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('lists what each seed user may see, their own included, newest first', async () => {
    const [one, two, three, four] = [
      toLocation3ByZowi.id,
      toLocation1ByZelo.id,
      toLocation5ByZapa.id,
      toLocation2ByZowi.id,
    ];
    expect(await templateIdsOf('zowi')).toEqual([four, two, one]);
    expect(await templateIdsOf('zolo')).toEqual([one]);
    expect(await templateIdsOf('zewi')).toEqual([four, two, one]);
    expect(await templateIdsOf('zelo')).toEqual([four, two, one]);
    expect(await templateIdsOf('zapa')).toEqual([three]);
    expect(await templateIdsOf('zuri')).toEqual([three]);
  });

  it('returns the newest `first` templates, and refuses a `first` out of range', async () => {
    const page = await postGraphQL<{ templates: AddedTemplate[] }>(
      instance.graphqlUrl,
      { query: '{ templates(first: 2) { id } }', token: tokens.zowi },
    );
    expect(page.data?.templates.map((template) => template.id)).toEqual([
      toLocation2ByZowi.id,
      toLocation1ByZelo.id,
    ]);

    for (const first of [0, 501]) {
      const refused = await postGraphQL(instance.graphqlUrl, {
        query: `{ templates(first: ${first}) { id } }`,
        token: tokens.zowi,
      });
      expect(refused.errors?.map((error) => error.extensions?.code)).toEqual([
        'BAD_USER_INPUT',
      ]);
    }
  });

  it('returns a visible template with its author, organisation and location', async () => {
    expect(await templateFor('zolo', toLocation3ByZowi.id)).toEqual({
      id: toLocation3ByZowi.id,
      name: 'one',
      shareLocationIds: ['location-3'],
      createdAt: toLocation3ByZowi.createdAt,
      createdBy: {
        id: 'zowi',
        name: 'ZOWI',
        organization: { id: 'org-1', name: 'Northwind' },
        location: { id: 'location-1', organization: { id: 'org-1' } },
      },
    });
  });

  it('serialises createdAt as an ISO-8601 UTC string', () => {
    expect(toLocation3ByZowi.createdAt).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    );
    expect(new Date(toLocation3ByZowi.createdAt).toISOString()).toBe(
      toLocation3ByZowi.createdAt,
    );
  });

  it('lets authors read their own templates', async () => {
    expect(await templateFor('zapa', toLocation5ByZapa.id)).toMatchObject({
      id: toLocation5ByZapa.id,
      createdBy: { id: 'zapa' },
    });
  });

  it('answers null for a template the caller may not see', async () => {
    expect(await templateFor('zolo', toLocation2ByZowi.id)).toBeNull();
    expect(await templateFor('zapa', toLocation3ByZowi.id)).toBeNull();
    expect(await templateFor('zuri', toLocation1ByZelo.id)).toBeNull();
  });

  it('answers null for ids that name no template', async () => {
    expect(await templateFor('zowi', randomUUID())).toBeNull();
    expect(await templateFor('zowi', 'not-a-uuid')).toBeNull();
  });

  it('answers me with the caller and their organisation', async () => {
    const response = await postGraphQL(instance.graphqlUrl, {
      query:
        '{ me { id name organization { id locations { id } } location { id } } }',
      token: tokens.zewi,
    });
    expect(response.data).toEqual({
      me: {
        id: 'zewi',
        name: 'ZEWI',
        organization: {
          id: 'org-1',
          locations: [
            { id: 'location-1' },
            { id: 'location-2' },
            { id: 'location-3' },
          ],
        },
        location: null,
      },
    });
  });
});

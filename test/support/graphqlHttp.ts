/** What a GraphQL-over-HTTP response carried. */
export interface GraphQLHttpResponse<TData = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly data: TData | null | undefined;
  readonly errors: readonly GraphQLResponseError[] | undefined;
}

export interface GraphQLResponseError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: Record<string, unknown> & { readonly code?: string };
}

/**
 * POSTs a GraphQL operation to `graphqlUrl`, with `Bearer token` when a
 * token is given. `rawBody` sends a body as is (for malformed requests).
 */
export async function postGraphQL<TData = Record<string, unknown>>(
  graphqlUrl: string,
  request: {
    readonly query?: string;
    readonly variables?: Record<string, unknown>;
    readonly token?: string;
    readonly rawBody?: string;
    readonly authorization?: string;
    /** More request headers. */
    readonly headers?: Readonly<Record<string, string>>;
  },
): Promise<GraphQLHttpResponse<TData>> {
  const headers: Record<string, string> = {
    ...request.headers,
    'content-type': 'application/json',
  };
  if (request.authorization !== undefined) {
    headers.authorization = request.authorization;
  } else if (request.token !== undefined) {
    headers.authorization = `Bearer ${request.token}`;
  }
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers,
    body:
      request.rawBody ??
      JSON.stringify({ query: request.query, variables: request.variables }),
  });
  const body = (await response.json()) as {
    data?: TData | null;
    errors?: GraphQLResponseError[];
  };
  return {
    status: response.status,
    headers: response.headers,
    data: body.data,
    errors: body.errors,
  };
}

export const ADD_TEMPLATE = /* GraphQL */ `
  mutation AddTemplate($input: AddTemplateInput!) {
    addTemplate(input: $input) {
      id
      name
      shareLocationIds
      createdAt
      createdBy {
        id
        name
      }
    }
  }
`;

export interface AddedTemplate {
  readonly id: string;
  readonly name: string;
  readonly shareLocationIds: string[];
  readonly createdAt: string;
  readonly createdBy: { readonly id: string; readonly name: string };
}

/** Adds a template as the token's user; throws on any GraphQL error. */
export async function addTemplate(
  graphqlUrl: string,
  token: string,
  input: { readonly name: string; readonly shareLocationIds: string[] },
): Promise<AddedTemplate> {
  const response = await postGraphQL<{ addTemplate: AddedTemplate }>(
    graphqlUrl,
    { query: ADD_TEMPLATE, variables: { input }, token },
  );
  if (
    response.errors !== undefined ||
    response.data === null ||
    response.data === undefined
  ) {
    throw new Error(
      `addTemplate failed (${response.status}): ${JSON.stringify(response.errors)}`,
    );
  }
  return response.data.addTemplate;
}

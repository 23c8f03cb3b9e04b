import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';

import { resolvers } from './resolvers.js';
import { typeDefs } from './typeDefs.js';

/** The executable schema both Apollo (HTTP) and graphql-ws run. */
export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs, resolvers });
}

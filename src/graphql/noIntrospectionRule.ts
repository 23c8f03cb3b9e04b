import { GraphQLError, type ValidationRule } from 'graphql';

/**
 * Refuses `__schema` and `__type` (once each where they appear), for
 * production, where the schema is not published. `__typename` stays
 * allowed: clients need it to tell types apart.
 */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name === '__schema' || name === '__type') {
      context.reportError(
        new GraphQLError(
          `Introspection is disabled on this server; the query asks for ${name}.`,
          { nodes: [node] },
        ),
      );
    }
  },
});

/**
 * The public schema (DESIGN.md, "GraphQL schema"). Names here are a contract
 * with clients: fields may be added, none renamed.
 */
export const typeDefs = /* GraphQL */ `
  "An ISO-8601 date-time string in UTC, such as 2026-01-31T09:30:00.000Z."
  scalar DateTime

  type Organization {
    id: ID!
    name: String!
    locations: [Location!]!
  }

  type Location {
    id: ID!
    name: String!
    organization: Organization!
  }

  type User {
    id: ID!
    name: String!
    organization: Organization
    location: Location
  }

  type Template {
    id: ID!
    name: String!
    shareLocationIds: [ID!]!
    createdBy: User!
    createdAt: DateTime!
  }

  input AddTemplateInput {
    name: String!
    shareLocationIds: [ID!]!
  }

  type Query {
    "The caller."
    me: User!
    """
    What the caller may see (their own and those shared with them), newest
    first: the newest \`first\` of them (1 to 500).
    """
    templates(first: Int = 100): [Template!]!
    "Null when there is no such template or the caller may not see it."
    template(id: ID!): Template
  }

  type Mutation {
    "Stores a template and announces it to everyone it is shared with."
    addTemplate(input: AddTemplateInput!): Template!
  }

  type Subscription {
    "Each template shared with the caller from now on, never the caller's own."
    templateAdded: Template!
  }
`;

import type { ApolloServerPlugin } from '@apollo/server';

// graphql-js ends a message with its suggestions: ` Did you mean "name"?`.
const SUGGESTIONS = / ?Did you mean .+\?$/;

/**
 * Removes graphql's "Did you mean ...?" from every error of a request, for
 * production, where the schema is not published. Apollo's
 * `hideSchemaDetailsFromClientErrors` covers validation only; this also
 * covers variables, which Apollo coerces without graphql's
 * `hideSuggestions` (an unknown input field is answered with the right
 * one's name).
 */
export const hideSuggestions: ApolloServerPlugin = {
  requestDidStart() {
    return Promise.resolve({
      didEncounterErrors({ errors }) {
        for (const error of errors) {
          error.message = error.message.replace(SUGGESTIONS, '');
        }
        return Promise.resolve();
      },
    });
  },
};

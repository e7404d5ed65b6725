import { Ajv } from "ajv";

// Bodies are JSON and validated as sent (an unknown field is an error, "10" is not a number);
// query strings and paths are text, coerced to the schema's types.
const strict = new Ajv({
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  strict: false,
});
const coercing = new Ajv({
  coerceTypes: true,
  removeAdditional: false,
  useDefaults: false,
  strict: false,
});

type Compile = (route: { schema: object; httpPart?: string }) => (data: unknown) => boolean;

/** The app's schema validators: a request's body checked strictly, its other parts coerced. */
export const validatorCompiler: Compile = ({ schema, httpPart }) =>
  (httpPart === "body" ? strict : coercing).compile(schema);

/**
 * For routes whose body is checked where it is parsed, off the serving thread (upserts): the
 * body schema documents it, the other parts are checked here.
 */
export const bodyCheckedElsewhere: Compile = ({ schema, httpPart }) =>
  httpPart === "body" ? () => true : coercing.compile(schema);

import { Ajv, type ValidateFunction } from "ajv";

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

type Check = ((data: unknown) => boolean) & { errors?: ValidateFunction["errors"] };
type Compile = (route: { schema: object; httpPart?: string }) => Check;

/**
 * A validator compiled on its first use: compiling every route's schemas up front took a large
 * share of a coordinator's start. Fastify reads the errors from the function it was given.
 */
function onFirstUse(ajv: Ajv, schema: object): Check {
  let validate: ValidateFunction | undefined;
  const check: Check = (data) => {
    validate ??= ajv.compile(schema);
    const valid = validate(data) as boolean;
    check.errors = validate.errors;
    return valid;
  };
  return check;
}

/** The app's schema validators: a request's body checked strictly, its other parts coerced. */
export const validatorCompiler: Compile = ({ schema, httpPart }) =>
  onFirstUse(httpPart === "body" ? strict : coercing, schema);

/**
 * For routes whose body is checked where it is parsed, off the serving thread (upserts): the
 * body schema documents it, the other parts are checked here.
 */
export const bodyCheckedElsewhere: Compile = ({ schema, httpPart }) =>
  httpPart === "body" ? () => true : onFirstUse(coercing, schema);

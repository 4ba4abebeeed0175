#!/usr/bin/env node
// Bridge between py-solc-x/brownie and solc-js (the npm `solc` package).
//
// py-solc-x runs `solc-v<version> --version` and `solc-v<version> --standard-json
// [--allow-paths a,b]` with the input JSON on stdin. solc-js has no such CLI (its `solcjs`
// prints a `>>>` banner and cannot read imports), so this script answers both calls by
// calling `compile()` with an import callback that reads files only below the project,
// `node_modules` and any --allow-paths folder.
//
// Usage: node solc-bridge.js <solc npm package name> [solc arguments...]
"use strict";
const fs = require("fs");
const path = require("path");

const projectRoot = path.resolve(__dirname, "..");
const [moduleName, ...args] = process.argv.slice(2);
const solc = require(require.resolve(moduleName, { paths: [projectRoot] }));

function allowedRoots(argv) {
  const roots = [projectRoot, path.join(projectRoot, "node_modules")];
  const i = argv.indexOf("--allow-paths");
  if (i >= 0 && argv[i + 1]) {
    for (const p of argv[i + 1].split(",")) if (p) roots.push(path.resolve(projectRoot, p));
  }
  return roots;
}

function importCallback(roots) {
  return (importPath) => {
    const candidates = [path.resolve(projectRoot, importPath), path.resolve(projectRoot, "node_modules", importPath)];
    for (const file of candidates) {
      const inside = roots.some((root) => file === root || file.startsWith(root + path.sep));
      if (inside && fs.existsSync(file) && fs.statSync(file).isFile()) {
        return { contents: fs.readFileSync(file, "utf8") };
      }
    }
    return { error: `File not found or outside the allowed paths: ${importPath}` };
  };
}

if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes("--standard-json")) {
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: importCallback(allowedRoots(args)) }));
} else {
  process.stderr.write("solc-bridge: only --version and --standard-json are supported\n");
  process.exit(2);
}

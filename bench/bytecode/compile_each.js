#!/usr/bin/env node
// Compiles each given Solidity file alone with one npm `solc` version, loading the compiler once
// for all files (a fresh process per file spends most of its time loading the compiler).
// Output per file: OUT_DIR/NAME.json in the format of tools/solc/compile.js; prints
// `ok|failed<TAB>PATH` per file. The compiler must already be installed in $SOLC_JS_HOME
// (tools/solc/compile.js installs it on first use).
//
//   node compile_each.js --solc VERSION --out-dir DIR FILE.sol...
"use strict";

const fs = require("fs");
const path = require("path");

const args = process.argv.slice(2);
let version;
let outDir;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--solc") version = args[++i];
  else if (args[i] === "--out-dir") outDir = args[++i];
  else files.push(args[i]);
}
if (!version || !outDir) {
  console.error("usage: compile_each.js --solc VERSION --out-dir DIR FILE.sol...");
  process.exit(2);
}
const home = process.env.SOLC_JS_HOME || path.join(__dirname, "..", "..", "target", "solc-js");
const solc = require(path.join(home, "node_modules", `solc-${version}`));
const settings = {
  optimizer: { enabled: false, runs: 200 },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"] } },
};
fs.mkdirSync(outDir, { recursive: true });
for (const file of files) {
  const name = path.basename(file);
  const input = { language: "Solidity", sources: { [name]: { content: fs.readFileSync(file, "utf8") } }, settings };
  const noImports = () => ({ error: "imports are not resolved for standalone files" });
  let output;
  try {
    const raw = typeof solc.compileStandardWrapper === "function"
      ? solc.compileStandardWrapper(JSON.stringify(input), noImports)
      : solc.compile(JSON.stringify(input), { import: noImports });
    output = JSON.parse(raw);
  } catch (e) {
    console.log(`failed\t${file}`);
    continue;
  }
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length > 0 || !output.contracts) {
    console.log(`failed\t${file}`);
    continue;
  }
  const contracts = {};
  for (const [source, byName] of Object.entries(output.contracts)) {
    for (const [contract, c] of Object.entries(byName)) {
      contracts[`${source}:${contract}`] = {
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployed_bytecode: "0x" + c.evm.deployedBytecode.object,
        metadata: c.metadata,
      };
    }
  }
  const result = { solc: solc.version(), source: path.resolve(file), settings, errors: [], contracts };
  fs.writeFileSync(path.join(outDir, name.replace(/\.sol$/, ".json")), JSON.stringify(result) + "\n");
  console.log(`ok\t${file}`);
}

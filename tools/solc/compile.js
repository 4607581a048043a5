#!/usr/bin/env node
// Compile Solidity files to bytecode with the npm `solc` package (its JavaScript API), for test
// fixtures and benchmark corpora. No native compiler is needed.
//
//   node tools/solc/compile.js --solc 0.8.26 [--optimize] [--runs 200] [--evm-version V] \
//       --out OUT.json FILE.sol [FILE.sol ...]
//
// The compiler is the npm package `solc@VERSION`, installed on first use into
// $SOLC_JS_HOME (default: target/solc-js in the repository) as the alias `solc-VERSION`.
// Files are compiled together as one standard-JSON input, keyed by the path as given.
// OUT.json: {"solc": "0.8.26+commit...", "settings": {...}, "errors": [...warnings...],
//            "contracts": {"FILE.sol:Name": {"abi", "bytecode", "deployed_bytecode", "metadata"}}}
// Bytecodes are 0x-prefixed hex; a library placeholder is left as solc writes it.
// Exit 1 on a compile error (printed with its location), 2 on a usage or install error.
"use strict";

const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

function usage(msg) {
  if (msg) console.error(`compile.js: ${msg}`);
  console.error("usage: compile.js --solc VERSION [--optimize] [--runs N] [--evm-version V] --out OUT.json FILE.sol...");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { optimize: false, runs: 200, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--solc") opts.version = value();
    else if (a === "--out") opts.out = value();
    else if (a === "--optimize") opts.optimize = true;
    else if (a === "--runs") opts.runs = Number(value());
    else if (a === "--evm-version") opts.evmVersion = value();
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (!opts.version || !/^\d+\.\d+\.\d+$/.test(opts.version)) usage("--solc X.Y.Z is required");
  if (!opts.out) usage("--out is required");
  if (opts.files.length === 0) usage("no input file");
  if (!Number.isInteger(opts.runs) || opts.runs < 1) usage("--runs must be a positive integer");
  return opts;
}

// The npm package of one compiler version, installed once per home directory.
function loadSolc(version) {
  const home = process.env.SOLC_JS_HOME || path.join(__dirname, "..", "..", "target", "solc-js");
  const alias = `solc-${version}`;
  const dir = path.join(home, "node_modules", alias);
  if (!fs.existsSync(path.join(dir, "package.json"))) {
    fs.mkdirSync(home, { recursive: true });
    try {
      execFileSync("npm", ["install", "--prefix", home, "--no-audit", "--no-fund", "--no-save",
        `${alias}@npm:solc@${version}`], { stdio: ["ignore", "ignore", "inherit"] });
    } catch (e) {
      console.error(`compile.js: could not install solc ${version} from npm: ${e.message}`);
      process.exit(2);
    }
  }
  return require(dir);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const solc = loadSolc(opts.version);
  const sources = {};
  for (const f of opts.files) {
    try {
      sources[f] = { content: fs.readFileSync(f, "utf8") };
    } catch (e) {
      usage(`cannot read ${f}: ${e.message}`);
    }
  }
  const settings = {
    optimizer: { enabled: opts.optimize, runs: opts.runs },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"] } },
  };
  if (opts.evmVersion) settings.evmVersion = opts.evmVersion;
  const input = { language: "Solidity", sources, settings };
  // Imports are read relative to the working directory, as the files were given.
  const findImports = (p) => {
    try {
      return { contents: fs.readFileSync(p, "utf8") };
    } catch (e) {
      return { error: `import not found: ${p}` };
    }
  };
  // Packages of compilers before 0.5 expose standard JSON as `compileStandardWrapper` (their
  // `compile` is the legacy interface); later ones take it through `compile` with callbacks.
  const raw = typeof solc.compileStandardWrapper === "function"
    ? solc.compileStandardWrapper(JSON.stringify(input), findImports)
    : solc.compile(JSON.stringify(input), { import: findImports });
  const output = JSON.parse(raw);
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    for (const e of errors) console.error(e.formattedMessage || e.message);
    process.exit(1);
  }
  const contracts = {};
  for (const [file, byName] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(byName)) {
      contracts[`${file}:${name}`] = {
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployed_bytecode: "0x" + c.evm.deployedBytecode.object,
        metadata: c.metadata,
      };
    }
  }
  const result = {
    solc: solc.version(),
    settings,
    errors: (output.errors || []).map((e) => e.formattedMessage || e.message),
    contracts,
  };
  fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  fs.writeFileSync(opts.out, JSON.stringify(result, null, 1) + "\n");
}

main();

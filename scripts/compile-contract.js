#!/usr/bin/env node
// Compile contracts/AnchorRegistry.sol offline with the npm `solc` package (WebAssembly build,
// pinned in package.json) and write the artifact the Python EVM ledger loads:
//
//   contracts/build/AnchorRegistry.json                    the committed build output
//   src/microcred/anchoring/backends/AnchorRegistry.json   the same bytes, shipped in the package
//
// Usage:
//   node scripts/compile-contract.js            write both files
//   node scripts/compile-contract.js --check    recompile and exit 1 if either file differs
//   node scripts/compile-contract.js --stdout   print the artifact, write nothing
//
// The output is deterministic: same source bytes + same compiler + same settings = same JSON.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const SOURCE_NAME = "contracts/AnchorRegistry.sol";
const CONTRACT = "AnchorRegistry";
const OUTPUTS = [
  "contracts/build/AnchorRegistry.json",
  "src/microcred/anchoring/backends/AnchorRegistry.json",
];
// "paris" (no PUSH0) runs on every EVM chain from London on, including Besu networks that have
// not enabled Shanghai; change it only together with docs/evm-ledger.md.
const SETTINGS = {
  evmVersion: "paris",
  optimizer: { enabled: true, runs: 200 },
  metadata: { bytecodeHash: "ipfs" },
};

function loadSolc() {
  try {
    return require("solc");
  } catch (err) {
    process.stderr.write("npm package 'solc' is not installed: run `npm ci` at the repo root\n");
    process.exit(2);
  }
}

function compile() {
  const solc = loadSolc();
  const source = fs.readFileSync(path.join(ROOT, SOURCE_NAME), "utf8");
  const input = {
    language: "Solidity",
    sources: { [SOURCE_NAME]: { content: source } },
    settings: {
      ...SETTINGS,
      outputSelection: {
        [SOURCE_NAME]: { [CONTRACT]: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const message of output.errors || []) {
    process.stderr.write(message.formattedMessage || message.message);
  }
  if (errors.length > 0) {
    process.exit(1);
  }
  const contract = output.contracts[SOURCE_NAME][CONTRACT];
  const artifact = {
    contractName: CONTRACT,
    sourceName: SOURCE_NAME,
    sourceSha256: crypto.createHash("sha256").update(source, "utf8").digest("hex"),
    compiler: { name: "solc", version: solc.version() },
    settings: SETTINGS,
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
    deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
  };
  return JSON.stringify(artifact, null, 2) + "\n";
}

function main(argv) {
  const text = compile();
  if (argv.includes("--stdout")) {
    process.stdout.write(text);
    return 0;
  }
  if (argv.includes("--check")) {
    let stale = 0;
    for (const rel of OUTPUTS) {
      const file = path.join(ROOT, rel);
      const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
      if (current !== text) {
        process.stderr.write(`${rel} is out of date: run \`node scripts/compile-contract.js\`\n`);
        stale += 1;
      }
    }
    return stale === 0 ? 0 : 1;
  }
  for (const rel of OUTPUTS) {
    const file = path.join(ROOT, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    process.stdout.write(`wrote ${rel}\n`);
  }
  return 0;
}

process.exit(main(process.argv.slice(2)));

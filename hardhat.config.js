// Hardhat 2.x is used only by the chain tests as a local JSON-RPC EVM node
// (`node_modules/.bin/hardhat node --hostname 127.0.0.1 --port 8546`, see scripts/hardhat-node.sh).
// No `solidity` key on purpose: contracts are compiled offline by scripts/compile-contract.js with
// the npm `solc` package; a `solidity` section would make Hardhat try to download a compiler.
// `paths.sources` points at a folder with no .sol files so `hardhat node` never compiles anything.
module.exports = {
  paths: {
    sources: "./contracts/hardhat-none",
    cache: "./var/hardhat/cache",
    artifacts: "./var/hardhat/artifacts",
  },
  networks: {
    hardhat: {
      chainId: 31337,
      mining: { auto: true },
    },
  },
};

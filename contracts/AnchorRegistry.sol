// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title AnchorRegistry: microcred's on-chain registry of Merkle batch roots.
/// @notice An issuer publishes one 32-byte Merkle root per batch of credentials. The contract
/// records the block time and the account that published it; anyone can read both back with
/// `anchoredAt`. Only accounts authorised by the owner may write (the deployer is the owner and
/// is authorised at deploy time).
/// @dev Re-anchoring a root that is already recorded is a successful no-op: the first record
/// (time and account) is kept and no event is emitted. This makes a retried transaction (after
/// a node restart or a lost reply) harmless: a batch is never anchored twice with two times.
contract AnchorRegistry {
    /// One storage slot: 5-byte time (seconds, enough until year 36812) + 20-byte account +
    /// 7-byte block number (the block lets a reader find the transaction with one eth_getLogs
    /// call over a single block).
    struct Anchor {
        uint40 time;
        address by;
        uint56 blockNumber;
    }

    /// The account that may authorise and deauthorise writers.
    address public owner;

    /// Accounts allowed to call `anchor`.
    mapping(address => bool) public isAuthorised;

    mapping(bytes32 => Anchor) private _anchors;

    /// A root was recorded for the first time.
    event Anchored(bytes32 indexed root, address indexed by, uint64 time);
    /// `account` may now call `anchor`.
    event Authorised(address indexed account);
    /// `account` may no longer call `anchor` (its earlier anchors stay recorded).
    event Deauthorised(address indexed account);

    /// The caller is not the owner.
    error NotOwner(address caller);
    /// The caller is not authorised to anchor.
    error NotAuthorised(address caller);
    /// The zero root cannot be anchored (it means "absent" in `anchoredAt`).
    error ZeroRoot();
    /// The zero address cannot be authorised.
    error ZeroAccount();

    constructor() {
        owner = msg.sender;
        isAuthorised[msg.sender] = true;
        emit Authorised(msg.sender);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// Record `root` with the current block time and the caller's account.
    /// @return recorded true if this call recorded the root, false if it was already recorded.
    function anchor(bytes32 root) external returns (bool recorded) {
        if (!isAuthorised[msg.sender]) revert NotAuthorised(msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        if (_anchors[root].time != 0) return false;
        _anchors[root] = Anchor(uint40(block.timestamp), msg.sender, uint56(block.number));
        emit Anchored(root, msg.sender, uint64(block.timestamp));
        return true;
    }

    /// When (block time, seconds since the Unix epoch) and by whom `root` was anchored;
    /// (0, address(0)) if it never was.
    function anchoredAt(bytes32 root) external view returns (uint64 time, address by) {
        Anchor memory record = _anchors[root];
        return (record.time, record.by);
    }

    /// Like `anchoredAt`, plus the number of the block whose transaction recorded `root`
    /// (0 if it never was).
    function anchorOf(bytes32 root)
        external
        view
        returns (uint64 time, address by, uint64 blockNumber)
    {
        Anchor memory record = _anchors[root];
        return (record.time, record.by, record.blockNumber);
    }

    /// Allow `account` to anchor roots (owner only; idempotent).
    function authorise(address account) external onlyOwner {
        if (account == address(0)) revert ZeroAccount();
        if (!isAuthorised[account]) {
            isAuthorised[account] = true;
            emit Authorised(account);
        }
    }

    /// Stop `account` from anchoring new roots (owner only; idempotent).
    function deauthorise(address account) external onlyOwner {
        if (isAuthorised[account]) {
            isAuthorised[account] = false;
            emit Deauthorised(account);
        }
    }
}

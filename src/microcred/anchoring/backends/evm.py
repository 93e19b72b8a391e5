"""EVM ledger over JSON-RPC: batch roots recorded by the ``AnchorRegistry`` contract.

:class:`EvmLedger` implements :class:`microcred.anchoring.ledger.Ledger` on any EVM chain
(Ethereum, Polygon, a Hyperledger Besu network, a local Hardhat node) reached over JSON-RPC
(Ethereum JSON-RPC API, ``eth_*`` methods; transactions are EIP-1559 type 2 where the chain has
a base fee, legacy otherwise; account ids are CAIP-10 ``eip155:<chainId>:<address>``).

The contract (``contracts/AnchorRegistry.sol``) stores, per root, the block time, the account
that anchored it and the block number; only accounts authorised by its owner may write, and
anchoring a root that is already recorded is a successful no-op (the first record is kept).

``publish`` is safe to retry and survives a node restart mid-submission:

1. read ``anchorOf(root)``: if the root is already recorded by our account, no transaction is
   sent and the receipt of the existing record is returned (found through the ``Anchored``
   event of the recorded block);
2. otherwise sign one transaction (nonce from the node's pending count, fees capped by
   :class:`EvmSettings`) and keep it for the whole call: a retry after a lost reply first
   re-reads the contract, then re-broadcasts the *same* signed bytes (the node answers
   "known transaction") instead of building a second transaction; only a receipt timeout or
   an "underpriced" answer replaces it, with the same nonce and higher fees, so at most one of
   them can be mined;
3. wait for the receipt, then for ``confirmations`` blocks; past ``confirmation_timeout`` the
   receipt says ``confirmed=False`` and the caller looks the root up again later.

Transient failures (connection refused or reset, timeouts, HTTP 429/5xx, nonce races,
underpriced fees, a base fee above the cap) are retried ``retries`` times with exponential
backoff and then raised as :class:`~microcred.errors.AnchorTemporaryError`; permanent ones (no
contract at the address, wrong chain, account not authorised, not enough funds, a reverted
transaction, a root recorded by another account) raise :class:`~microcred.errors.AnchorError`.

``lookup`` reads the contract at the confirmation depth (``latest - confirmations + 1``), so a
root is reported only once it is as final as the configuration asks.

This is the only module of the package that imports ``web3`` (the ``evm`` extra).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from microcred.anchoring.backends.evm_account import (
    ChainAccount,
    ChainKeyStore,
    SignedTransaction,
)
from microcred.anchoring.backends.evm_contract import ContractArtifact, load_registry_artifact
from microcred.anchoring.ledger import LedgerEntry, Receipt, check_root
from microcred.did.web import blockchain_account_method
from microcred.errors import AnchorError, AnchorTemporaryError, ConfigError, InvalidInput

_RECURSION_LIMIT = sys.getrecursionlimit()
try:
    from eth_utils.exceptions import ValidationError as EthValidationError
    from web3 import HTTPProvider, Web3
    from web3.exceptions import (
        BadFunctionCallOutput,
        BadResponseFormat,
        ContractLogicError,
        ProviderConnectionError,
        TimeExhausted,
        TooManyRequests,
        TransactionIndexingInProgress,
        TransactionNotFound,
        Web3Exception,
        Web3RPCError,
    )
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigError(
        "the EVM ledger needs web3: install microcred with the 'evm' extra "
        "(pip install 'microcred[evm]')"
    ) from exc
finally:
    # web3's dependencies (py_ecc) raise the process-wide recursion limit on import; keep ours
    # (see evm_account.py: a high limit turns deep JSON nesting into a segfault).
    sys.setrecursionlimit(_RECURSION_LIMIT)

__all__ = [
    "ANCHORED_EVENT",
    "GWEI",
    "ChainStatus",
    "Deployment",
    "EvmLedger",
    "EvmLedgerConfig",
    "EvmSettings",
    "authorise_account",
    "caip10_account",
    "chain_account_method",
    "connect_rpc",
    "deploy_registry",
    "fund_account",
    "open_evm_ledger",
    "parse_ether",
    "registry_status",
]

_log = logging.getLogger("microcred.anchoring.evm")

GWEI = 10**9
#: The event the registry emits when it records a root (topic 0 is its Keccak-256).
ANCHORED_EVENT = "Anchored(bytes32,address,uint64)"
_ANCHORED_TOPIC = "0x" + Web3.keccak(text=ANCHORED_EVENT).hex().removeprefix("0x")
_ENV = "MICROCRED_EVM_"
_ZERO_ADDRESS = "0x" + "00" * 20
_MAX_ETHER = Decimal(10**12)
_T = TypeVar("_T")

#: Everything a chain call can raise that we translate (never a bare ``except Exception``):
#: web3's own tree, transport errors (requests' exceptions are ``OSError``s), eth-tester's
#: validation errors (in-process chains) and value errors from malformed node answers.
_CHAIN_ERRORS: tuple[type[BaseException], ...] = (
    Web3Exception,
    OSError,
    EthValidationError,
    ValueError,
)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class EvmSettings:
    """How :class:`EvmLedger` talks to the chain (all amounts in wei, times in seconds).

    ``chain_id``: the chain the ledger must be on (``None``: whatever the node says; set it in
    production so a misconfigured RPC URL fails instead of anchoring on the wrong chain).
    ``confirmations``: blocks on top of and including the one holding the transaction
    (1 = included). ``max_fee_per_gas`` / ``max_priority_fee_per_gas`` cap what one
    transaction may pay per gas; ``priority_fee_per_gas`` is the tip asked for (``None``: the
    node's ``eth_maxPriorityFeePerGas`` suggestion, within the cap). ``fee_bump_percent`` is
    applied to both fees when a pending transaction is replaced (nodes require at least 10).
    """

    chain_id: int | None = None
    confirmations: int = 1
    gas_limit: int = 100_000
    max_fee_per_gas: int = 200 * GWEI
    max_priority_fee_per_gas: int = 5 * GWEI
    priority_fee_per_gas: int | None = None
    fee_bump_percent: int = 15
    retries: int = 3
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 8.0
    rpc_timeout_seconds: float = 10.0
    receipt_timeout_seconds: float = 120.0
    confirmation_timeout_seconds: float = 300.0
    poll_interval_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.chain_id is not None and self.chain_id < 1:
            raise ConfigError("EVM chain_id must be a positive integer")
        if not 1 <= self.confirmations <= 1000:
            raise ConfigError("EVM confirmations must be between 1 and 1000")
        if not 30_000 <= self.gas_limit <= 10_000_000:
            raise ConfigError("EVM gas_limit must be between 30000 and 10000000")
        if self.max_fee_per_gas < 0 or self.max_priority_fee_per_gas < 0:
            raise ConfigError("EVM fee caps must not be negative")
        if self.max_priority_fee_per_gas > self.max_fee_per_gas:
            raise ConfigError("EVM max_priority_fee_per_gas must not exceed max_fee_per_gas")
        if self.priority_fee_per_gas is not None and self.priority_fee_per_gas < 0:
            raise ConfigError("EVM priority_fee_per_gas must not be negative")
        if not 10 <= self.fee_bump_percent <= 200:
            raise ConfigError("EVM fee_bump_percent must be between 10 and 200")
        if not 0 <= self.retries <= 20:
            raise ConfigError("EVM retries must be between 0 and 20")
        for name in (
            "backoff_seconds",
            "max_backoff_seconds",
            "rpc_timeout_seconds",
            "receipt_timeout_seconds",
            "confirmation_timeout_seconds",
            "poll_interval_seconds",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"EVM {name} must be a non-negative number")
        if self.rpc_timeout_seconds <= 0:
            raise ConfigError("EVM rpc_timeout_seconds must be positive")


_INT_FIELDS = {
    "CHAIN_ID": "chain_id",
    "CONFIRMATIONS": "confirmations",
    "GAS_LIMIT": "gas_limit",
    "RETRIES": "retries",
    "FEE_BUMP_PERCENT": "fee_bump_percent",
}
_GWEI_FIELDS = {
    "MAX_FEE_GWEI": "max_fee_per_gas",
    "MAX_PRIORITY_FEE_GWEI": "max_priority_fee_per_gas",
    "PRIORITY_FEE_GWEI": "priority_fee_per_gas",
}
_FLOAT_FIELDS = {
    "BACKOFF": "backoff_seconds",
    "MAX_BACKOFF": "max_backoff_seconds",
    "RPC_TIMEOUT": "rpc_timeout_seconds",
    "RECEIPT_TIMEOUT": "receipt_timeout_seconds",
    "CONFIRMATION_TIMEOUT": "confirmation_timeout_seconds",
    "POLL_INTERVAL": "poll_interval_seconds",
}


@dataclass(frozen=True, slots=True)
class EvmLedgerConfig:
    """Where the EVM ledger is: RPC URL, registry address, the chain account's key name.

    :meth:`from_env` reads ``MICROCRED_EVM_RPC_URL``, ``MICROCRED_EVM_CONTRACT``,
    ``MICROCRED_EVM_ACCOUNT`` and the tuning variables listed in ``docs/evm-ledger.md``.
    """

    rpc_url: str
    contract_address: str
    account: str | None = None
    settings: EvmSettings = field(default_factory=EvmSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EvmLedgerConfig:
        rpc_url = environ.get(_ENV + "RPC_URL", "").strip()
        contract = environ.get(_ENV + "CONTRACT", "").strip()
        if not rpc_url or not contract:
            raise ConfigError(
                f"the EVM ledger needs {_ENV}RPC_URL and {_ENV}CONTRACT (the registry address; "
                "deploy one with `microcred chain deploy`)"
            )
        values: dict[str, Any] = {}
        for suffix, name in _INT_FIELDS.items():
            text = environ.get(_ENV + suffix, "").strip()
            if text:
                values[name] = _env_int(_ENV + suffix, text)
        for suffix, name in _GWEI_FIELDS.items():
            text = environ.get(_ENV + suffix, "").strip()
            if text:
                values[name] = _env_gwei(_ENV + suffix, text)
        for suffix, name in _FLOAT_FIELDS.items():
            text = environ.get(_ENV + suffix, "").strip()
            if text:
                values[name] = _env_float(_ENV + suffix, text)
        account = environ.get(_ENV + "ACCOUNT", "").strip() or None
        _check_rpc_url(rpc_url)
        _checksum(contract, f"{_ENV}CONTRACT")
        return cls(rpc_url, contract, account, EvmSettings(**values))


def open_evm_ledger(
    config: EvmLedgerConfig, key_store_dir: str | os.PathLike[str] | None, kek: bytes | None
) -> EvmLedger:
    """The ledger ``config`` describes; its account (``config.account``) is opened from the
    chain key store ``key_store_dir`` (a ``ChainKeyStore`` directory, usually
    ``<key store>/chain``) under ``kek``. Without an account the ledger is read-only."""
    account: ChainAccount | None = None
    if config.account is not None:
        if key_store_dir is None or kek is None:
            raise ConfigError("the EVM ledger account needs the key store directory and the KEK")
        account = ChainKeyStore(key_store_dir, kek).open(config.account)
    return EvmLedger.connect(
        config.rpc_url, config.contract_address, account, settings=config.settings
    )


def _env_int(name: str, text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {text!r}") from None


def _env_float(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {text!r}") from None
    return value


def _env_gwei(name: str, text: str) -> int:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ConfigError(f"{name} must be an amount in gwei, not {text!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{name} must be a non-negative amount in gwei")
    return int(amount * GWEI)


def parse_ether(text: str) -> int:
    """``"1.5"`` (ether) -> wei; ``InvalidInput`` for anything that is not a non-negative
    amount with at most 18 decimals."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput(f"{text!r} is not an amount of ether") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(f"{text!r} is not a non-negative amount of ether")
    if amount > _MAX_ETHER:
        raise InvalidInput(f"{text!r} is more ether than any chain has")
    with localcontext() as exact:
        exact.prec = 60  # 12 integer digits + 18 decimals fit without rounding
        wei = amount.scaleb(18)
        if wei != wei.to_integral_value():
            raise InvalidInput(f"{text!r} has more than 18 decimals")
        return int(wei)


def _check_rpc_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{url!r} is not an http(s) JSON-RPC URL")
    return url


def _checksum(address: str, what: str) -> str:
    if not isinstance(address, str) or not Web3.is_address(address):
        raise ConfigError(f"{what}: {address!r} is not an EVM address (0x + 40 hex digits)")
    return str(Web3.to_checksum_address(address))


def connect_rpc(rpc_url: str, *, timeout: float = 10.0) -> Web3:
    """A ``Web3`` client for ``rpc_url`` (HTTP(S) JSON-RPC) with a request timeout and no
    retries of its own (:class:`EvmLedger` retries with its own policy)."""
    provider = HTTPProvider(
        _check_rpc_url(rpc_url),
        request_kwargs={"timeout": timeout},
        exception_retry_configuration=None,
    )
    return Web3(provider)


def caip10_account(chain_id: int, address: str) -> str:
    """``eip155:<chainId>:<address>`` (CAIP-10) with the EIP-55 address."""
    return f"eip155:{chain_id}:{_checksum(address, 'account')}"


def chain_account_method(
    did: str, chain_id: int, address: str, *, fragment: str = "anchor-account"
) -> dict[str, Any]:
    """The DID document verification method naming the issuer's anchoring account.

    An ``EcdsaSecp256k1RecoveryMethod2020`` entry with a CAIP-10 ``blockchainAccountId``
    (built by :func:`microcred.did.web.blockchain_account_method`; the DID document must also
    carry the ``SECP256K1_RECOVERY_2020_V2`` context). A verifier compares the account of a
    ledger entry with it to check *who* anchored.
    """
    return blockchain_account_method(did, fragment, caip10_account(chain_id, address))


# --------------------------------------------------------------------------- error translation


def _rpc_message(error: BaseException) -> str:
    if isinstance(error, Web3RPCError):
        response = error.rpc_response
        if isinstance(response, dict):
            body = response.get("error")
            if isinstance(body, dict) and isinstance(body.get("message"), str):
                return str(body["message"])
        return str(error.message)
    return str(error)


def _rpc_kind(message: str) -> str:
    """Sort a node's error message (geth, Besu, Nethermind, Erigon, Hardhat wordings)."""
    text = message.lower().replace("_", " ")
    squashed = text.replace(" ", "")
    if "alreadyknown" in squashed or "knowntransaction" in squashed:
        return "known"
    if "noncetoolow" in squashed or "oldnonce" in squashed or "nonceistoolow" in squashed:
        return "nonce"
    if (
        "underpriced" in squashed
        or "feetoolow" in squashed
        or "gaspricetoolow" in squashed
        or "lessthanblockbasefee" in squashed
        or "feecaptoolow" in squashed
    ):
        return "underpriced"
    if (
        "insufficientfunds" in squashed
        or "enoughfunds" in squashed
        or "upfrontcostexceedsbalance" in squashed
    ):
        return "funds"
    if "exceedsblockgaslimit" in squashed or "intrinsicgastoolow" in squashed:
        return "gas"
    return "other"


def _http_status(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _translate(error: BaseException, doing: str) -> AnchorError:
    """One foreign exception -> AnchorTemporaryError (retry) or AnchorError (permanent)."""
    if isinstance(error, AnchorError):
        return error
    if isinstance(
        error,
        TimeExhausted
        | ProviderConnectionError
        | TooManyRequests
        | TransactionIndexingInProgress
        | BadResponseFormat,
    ):
        return AnchorTemporaryError(f"{doing}: the node did not answer usefully ({error})")
    if isinstance(error, ContractLogicError):
        return AnchorError(f"{doing}: the contract rejected the call ({error})")
    if isinstance(error, Web3RPCError):
        message = _rpc_message(error)
        kind = _rpc_kind(message)
        if kind in ("nonce", "underpriced", "known"):
            return AnchorTemporaryError(f"{doing}: {message}")
        if kind == "funds":
            return AnchorError(
                f"{doing}: the account cannot pay for gas ({message}); fund it "
                "(`microcred chain fund` on a development chain)"
            )
        if "timeout" in message.lower() or "timed out" in message.lower():
            return AnchorTemporaryError(f"{doing}: {message}")
        return AnchorError(f"{doing}: the node refused: {message}")
    if isinstance(error, OSError):
        status = _http_status(error)
        if status is not None and 400 <= status < 500 and status not in (408, 425, 429):
            return AnchorError(f"{doing}: the JSON-RPC endpoint answered HTTP {status}")
        reason = f"HTTP {status}" if status is not None else type(error).__name__
        return AnchorTemporaryError(f"{doing}: cannot reach the JSON-RPC node ({reason})")
    if isinstance(error, EthValidationError):
        kind = _rpc_kind(str(error))
        if kind in ("nonce", "underpriced", "known"):
            return AnchorTemporaryError(f"{doing}: {error}")
        return AnchorError(f"{doing}: the node refused: {error}")
    return AnchorError(f"{doing}: unexpected answer from the chain ({type(error).__name__})")


@contextmanager
def _translated(doing: str) -> Iterator[None]:
    try:
        yield
    except AnchorError:
        raise
    except _CHAIN_ERRORS as error:
        raise _translate(error, doing) from error


# --------------------------------------------------------------------------- transactions


@dataclass(frozen=True, slots=True)
class _Fees:
    """Either EIP-1559 (max_fee + tip) or legacy (gas_price)."""

    max_fee: int | None = None
    tip: int | None = None
    gas_price: int | None = None

    def fields(self) -> dict[str, int]:
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        assert self.max_fee is not None and self.tip is not None
        return {"type": 2, "maxFeePerGas": self.max_fee, "maxPriorityFeePerGas": self.tip}


def _bumped(value: int, previous: int | None, percent: int) -> int:
    if previous is None:
        return value
    return max(value, previous * (100 + percent) // 100 + 1)


def _suggest_fees(w3: Web3, settings: EvmSettings, previous: _Fees | None) -> _Fees:
    """Fees for a new (or replacement) transaction, within the configured caps."""
    latest = w3.eth.get_block("latest")
    raw_base = latest.get("baseFeePerGas")
    bump = settings.fee_bump_percent
    before = previous if previous is not None else _Fees()
    if raw_base is None:  # a chain without EIP-1559 (old Besu genesis, some private networks)
        price = _bumped(int(w3.eth.gas_price), before.gas_price, bump)
        if price > settings.max_fee_per_gas:
            if previous is not None and previous.gas_price == settings.max_fee_per_gas:
                return previous
            price = settings.max_fee_per_gas
        return _Fees(gas_price=price)
    base = int(raw_base)
    if base > settings.max_fee_per_gas:
        raise AnchorTemporaryError(
            f"the base fee ({base} wei/gas) is above the configured cap "
            f"({settings.max_fee_per_gas} wei/gas); will try again"
        )
    if settings.priority_fee_per_gas is not None:
        tip = settings.priority_fee_per_gas
    else:
        try:
            tip = int(w3.eth.max_priority_fee)
        except (Web3RPCError, ValueError):  # method not supported: a modest default
            tip = GWEI
    tip = min(_bumped(tip, before.tip, bump), settings.max_priority_fee_per_gas)
    max_fee = _bumped(2 * base + tip, before.max_fee, bump)
    max_fee = min(max_fee, settings.max_fee_per_gas)
    tip = min(tip, max_fee)
    return _Fees(max_fee=max_fee, tip=tip)


@dataclass(slots=True)
class _Submission:
    """One root being published: the signed transaction(s) survive retries of one call."""

    root: bytes
    account: ChainAccount
    nonce: int | None = None
    fees: _Fees | None = None
    signed: SignedTransaction | None = None
    hashes: list[str] = field(default_factory=list)
    replace: bool = False


@dataclass(frozen=True, slots=True)
class _Record:
    time: int
    by: str
    block: int

    @property
    def present(self) -> bool:
        return self.time != 0


def _receipt_or_none(w3: Web3, tx_hash: str) -> Mapping[str, Any] | None:
    try:
        return cast(Mapping[str, Any], w3.eth.get_transaction_receipt(cast(Any, tx_hash)))
    except TransactionNotFound:
        return None


# --------------------------------------------------------------------------- the ledger


class EvmLedger:
    """A :class:`~microcred.anchoring.ledger.Ledger` backed by an ``AnchorRegistry`` contract.

    ``accounts`` is either one :class:`ChainAccount` used for every issuer, or a mapping from
    issuer DID to the account that anchors for it (the account its DID document lists), or
    ``None`` for a read-only ledger (``lookup`` only: a verifier needs just the RPC URL and
    the registry address).
    ``sleep`` and ``monotonic`` are injectable so tests control waiting (e.g. mine a block on
    every ``sleep``).
    """

    def __init__(
        self,
        w3: Web3,
        contract_address: str,
        accounts: ChainAccount | Mapping[str, ChainAccount] | None = None,
        *,
        settings: EvmSettings | None = None,
        artifact: ContractArtifact | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._w3 = w3
        self._settings = settings or EvmSettings()
        self._artifact = artifact or load_registry_artifact()
        self._address = _checksum(contract_address, "registry contract")
        self._contract: Any = w3.eth.contract(
            address=cast(Any, self._address), abi=cast(Any, list(self._artifact.abi))
        )
        if accounts is None or isinstance(accounts, Mapping):
            self._accounts: dict[str, ChainAccount] = dict(accounts or {})
            self._default: ChainAccount | None = None
        else:
            self._accounts = {}
            self._default = accounts
        self._sleep = sleep
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._chain_id: int | None = None

    @classmethod
    def connect(
        cls,
        rpc_url: str,
        contract_address: str,
        accounts: ChainAccount | Mapping[str, ChainAccount] | None = None,
        *,
        settings: EvmSettings | None = None,
    ) -> EvmLedger:
        """A ledger talking to ``rpc_url`` over HTTP(S) (without ``accounts``: read-only, what
        a verifier needs)."""
        settings = settings or EvmSettings()
        w3 = connect_rpc(rpc_url, timeout=settings.rpc_timeout_seconds)
        return cls(w3, contract_address, accounts, settings=settings)

    def __repr__(self) -> str:
        return f"EvmLedger(contract={self._address!r}, chain_id={self._chain_id!r})"

    # ----------------------------------------------------------------- identity

    @property
    def contract_address(self) -> str:
        return self._address

    @property
    def settings(self) -> EvmSettings:
        return self._settings

    @property
    def chain_id(self) -> int:
        """The chain id (asked once from the node and checked against the settings)."""
        with _translated("reading the chain id"):
            self._ensure_ready()
        assert self._chain_id is not None
        return self._chain_id

    @property
    def ledger_id(self) -> str:
        """``eip155:<chainId>:<registry address>``.

        With ``settings.chain_id`` set this needs no network call (a verifier can be built
        while the node is unreachable; the node's chain is still checked on first use);
        otherwise the chain id is asked from the node once.
        """
        chain_id = self._settings.chain_id if self._chain_id is None else self._chain_id
        if chain_id is None:
            chain_id = self.chain_id
        return f"eip155:{chain_id}:{self._address}"

    @property
    def account_address(self) -> str:
        """The address of the account used for every issuer (``ConfigError`` when the ledger
        was given one account per issuer: use :meth:`account_for`)."""
        if self._default is None:
            raise ConfigError(
                "this EVM ledger has no single account (read-only, or one account per issuer: "
                "use account_for())"
            )
        return self._default.address

    def account_for(self, issuer: str) -> ChainAccount:
        """The chain account that anchors for ``issuer``."""
        account = self._accounts.get(issuer, self._default)
        if account is None:
            raise AnchorError(f"no chain account is configured for issuer {issuer!r}")
        return account

    def caip10_account(self, address: str) -> str:
        return caip10_account(self.chain_id, address)

    def verification_method(
        self, did: str, *, issuer: str | None = None, fragment: str = "anchor-account"
    ) -> dict[str, Any]:
        """The DID document entry listing the chain account that anchors for ``did``."""
        account = self.account_for(issuer or did)
        return chain_account_method(did, self.chain_id, account.address, fragment=fragment)

    # ----------------------------------------------------------------- reading

    def is_authorised(self, address: str) -> bool:
        """Whether ``address`` may anchor on this registry."""
        checked = _checksum(address, "account")
        return self._retrying(
            lambda: self._call_bool("isAuthorised", checked), "reading isAuthorised"
        )

    def lookup(self, root: bytes) -> LedgerEntry | None:
        """The confirmed record of ``root`` (read ``confirmations - 1`` blocks below the tip),
        or ``None``."""
        root = check_root(root)
        return self._retrying(lambda: self._lookup_once(root), f"looking up root {root.hex()}")

    def _lookup_once(self, root: bytes) -> LedgerEntry | None:
        with _translated(f"looking up root {root.hex()}"):
            self._ensure_ready()
            latest = int(self._w3.eth.block_number)
            at = latest - self._settings.confirmations + 1
            if at < 0:
                return None
            record = self._record(root, at)
            if not record.present:
                return None
            return self._entry(root, record)

    # ----------------------------------------------------------------- publishing

    def publish(self, root: bytes, batch_id: str, *, issuer: str) -> Receipt:
        """Anchor ``root`` from ``issuer``'s account (idempotent; see the module docstring)."""
        root = check_root(root)
        account = self.account_for(issuer)
        with self._lock:
            submission = _Submission(root=root, account=account)
            return self._retrying(
                lambda: self._publish_once(submission, batch_id),
                f"anchoring root {root.hex()} (batch {batch_id})",
            )

    def _publish_once(self, sub: _Submission, batch_id: str) -> Receipt:
        doing = f"anchoring root {sub.root.hex()}"
        with _translated(doing):
            self._ensure_ready()
            record = self._record(sub.root, "latest")
            if record.present:
                return self._existing(sub, record, batch_id)
            if sub.signed is None or sub.replace:
                if sub.signed is None and not self._call_bool("isAuthorised", sub.account.address):
                    raise AnchorError(
                        f"account {sub.account.address} is not authorised to anchor on registry "
                        f"{self._address}: the registry owner must call authorise() for it "
                        "(`microcred chain authorise`)"
                    )
                self._sign(sub)
            self._broadcast(sub)
            receipt = self._wait_for_receipt(sub)
            if int(receipt.get("status", 0)) != 1:
                record = self._record(sub.root, "latest")
                if record.present:
                    return self._existing(sub, record, batch_id)
                raise AnchorError(
                    f"{doing}: transaction {_hex(receipt.get('transactionHash'))} reverted"
                )
            record = self._record(sub.root, "latest")
            if not record.present:
                raise AnchorTemporaryError(
                    f"{doing}: the transaction was mined but the root is not visible yet"
                )
            return self._existing(sub, record, batch_id)

    def _existing(self, sub: _Submission, record: _Record, batch_id: str) -> Receipt:
        if record.by != sub.account.address:
            raise AnchorError(
                f"root {sub.root.hex()} is already anchored on registry {self._address} by "
                f"another account ({record.by}), not by {sub.account.address}"
            )
        record, confirmed = self._await_confirmations(sub.root, record)
        return Receipt(entry=self._entry(sub.root, record), batch_id=batch_id, confirmed=confirmed)

    def _sign(self, sub: _Submission) -> None:
        if sub.nonce is None:
            sub.nonce = int(
                self._w3.eth.get_transaction_count(cast(Any, sub.account.address), "pending")
            )
        fees = _suggest_fees(self._w3, self._settings, sub.fees if sub.replace else None)
        transaction: dict[str, Any] = {
            "chainId": self._chain_id,
            "nonce": sub.nonce,
            "to": self._address,
            "value": 0,
            "gas": self._settings.gas_limit,
            "data": self._contract.encode_abi("anchor", args=[sub.root]),
            **fees.fields(),
        }
        signed = sub.account.sign_transaction(transaction)
        sub.fees = fees
        sub.signed = signed
        sub.replace = False
        if signed.tx_hash not in sub.hashes:
            sub.hashes.append(signed.tx_hash)

    def _broadcast(self, sub: _Submission) -> None:
        assert sub.signed is not None
        try:
            self._w3.eth.send_raw_transaction(sub.signed.raw)
        except (Web3RPCError, EthValidationError) as error:
            message = _rpc_message(error)
            kind = _rpc_kind(message)
            if kind == "known":
                _log.info("anchor transaction %s is already known to the node", sub.signed.tx_hash)
                return
            if kind == "nonce":
                if any(_receipt_or_none(self._w3, h) is not None for h in sub.hashes):
                    return  # one of ours was mined meanwhile
                sub.nonce = None
                sub.signed = None
                sub.fees = None
                raise AnchorTemporaryError(
                    f"nonce race on account {sub.account.address} ({message}); will rebuild"
                ) from error
            if kind == "underpriced":
                sub.replace = True
                raise AnchorTemporaryError(f"fees too low ({message}); will raise them") from error
            raise _translate(error, "sending the anchor transaction") from error
        _log.info(
            "sent anchor transaction %s (root %s, nonce %s)",
            sub.signed.tx_hash,
            sub.root.hex(),
            sub.nonce,
        )

    def _wait_for_receipt(self, sub: _Submission) -> Mapping[str, Any]:
        deadline = self._monotonic() + self._settings.receipt_timeout_seconds
        while True:
            for tx_hash in sub.hashes:
                receipt = _receipt_or_none(self._w3, tx_hash)
                if receipt is not None:
                    return receipt
            if self._monotonic() >= deadline:
                sub.replace = True
                raise AnchorTemporaryError(
                    f"anchor transaction {sub.hashes[-1]} not mined within "
                    f"{self._settings.receipt_timeout_seconds:g} s; will replace it with "
                    "higher fees"
                )
            self._sleep(self._settings.poll_interval_seconds)

    def _await_confirmations(self, root: bytes, record: _Record) -> tuple[_Record, bool]:
        needed = self._settings.confirmations
        deadline = self._monotonic() + self._settings.confirmation_timeout_seconds
        while True:
            latest = int(self._w3.eth.block_number)
            if latest - record.block + 1 >= needed:
                return record, True
            if self._monotonic() >= deadline:
                return record, False
            self._sleep(self._settings.poll_interval_seconds)
            current = self._record(root, "latest")
            if not current.present:
                raise AnchorTemporaryError(
                    f"root {root.hex()} vanished from the chain while waiting for confirmations "
                    "(a reorganisation); will check again"
                )
            record = current

    # ----------------------------------------------------------------- chain helpers

    def _ensure_ready(self) -> None:
        if self._chain_id is not None:
            return
        chain_id = int(self._w3.eth.chain_id)
        expected = self._settings.chain_id
        if expected is not None and chain_id != expected:
            raise AnchorError(
                f"the JSON-RPC node is on chain {chain_id}, the configuration says {expected}"
            )
        code = bytes(self._w3.eth.get_code(cast(Any, self._address)))
        if not code:
            raise AnchorError(f"there is no contract at {self._address} on chain {chain_id}")
        if code != self._artifact.deployed_bytecode:
            raise AnchorError(
                f"the contract at {self._address} on chain {chain_id} is not the microcred "
                "AnchorRegistry (its code differs from the packaged build)"
            )
        self._chain_id = chain_id

    def _call_bool(self, function: str, *args: Any) -> bool:
        return bool(getattr(self._contract.functions, function)(*args).call())

    def _record(self, root: bytes, block: int | str) -> _Record:
        try:
            time_, by, number = self._contract.functions.anchorOf(root).call(block_identifier=block)
        except BadFunctionCallOutput:
            if block == "latest":
                raise
            # an older block than the registry's deployment: the root cannot be there
            return _Record(0, _ZERO_ADDRESS, 0)
        return _Record(int(time_), str(Web3.to_checksum_address(by)), int(number))

    def _entry(self, root: bytes, record: _Record) -> LedgerEntry:
        logs = self._w3.eth.get_logs(
            {
                "address": cast(Any, self._address),
                "fromBlock": record.block,
                "toBlock": record.block,
                "topics": [cast(Any, _ANCHORED_TOPIC), cast(Any, "0x" + root.hex())],
            }
        )
        if not logs:
            raise AnchorTemporaryError(
                f"root {root.hex()} is recorded in block {record.block} but its Anchored event "
                "is not visible yet"
            )
        assert self._chain_id is not None
        return LedgerEntry(
            ledger_id=f"eip155:{self._chain_id}:{self._address}",
            root=root,
            locator=_hex(logs[0]["transactionHash"]),
            account=f"eip155:{self._chain_id}:{record.by}",
            anchored_at=datetime.fromtimestamp(record.time, tz=UTC),
        )

    def _retrying(self, action: Callable[[], _T], what: str) -> _T:
        attempt = 0
        while True:
            try:
                with _translated(what):
                    return action()
            except AnchorTemporaryError as error:
                attempt += 1
                if attempt > self._settings.retries:
                    raise AnchorTemporaryError(
                        f"{what}: still failing after {attempt} attempts: {error.detail}"
                    ) from error
                delay = min(
                    self._settings.backoff_seconds * 2 ** (attempt - 1),
                    self._settings.max_backoff_seconds,
                )
                _log.warning("%s: %s; retry %d in %.2f s", what, error.detail, attempt, delay)
                self._sleep(delay)


def _hex(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True, slots=True)
class Deployment:
    """A freshly deployed registry."""

    chain_id: int
    contract_address: str
    owner: str
    tx_hash: str
    block_number: int

    def to_json(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "contract": self.contract_address,
            "ledgerId": f"eip155:{self.chain_id}:{self.contract_address}",
            "owner": self.owner,
            "transaction": self.tx_hash,
            "blockNumber": self.block_number,
        }


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """What ``microcred chain status`` shows."""

    rpc_url: str
    chain_id: int
    block_number: int
    contract_address: str | None = None
    registry_ok: bool | None = None
    owner: str | None = None
    account: str | None = None
    account_authorised: bool | None = None
    account_balance_wei: int | None = None
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "rpcUrl": self.rpc_url,
            "chainId": self.chain_id,
            "blockNumber": self.block_number,
        }
        if self.contract_address is not None:
            body["contract"] = self.contract_address
            body["ledgerId"] = f"eip155:{self.chain_id}:{self.contract_address}"
            body["registryOk"] = self.registry_ok
            body["owner"] = self.owner
        if self.account is not None:
            body["account"] = self.account
            body["accountId"] = f"eip155:{self.chain_id}:{self.account}"
            body["authorised"] = self.account_authorised
            body["balanceWei"] = (
                str(self.account_balance_wei) if self.account_balance_wei is not None else None
            )
        body["problems"] = list(self.problems)
        return body


def _provider_url(w3: Web3) -> str:
    return str(getattr(w3.provider, "endpoint_uri", "") or type(w3.provider).__name__)


def _dev_account(w3: Web3) -> str:
    accounts = list(w3.eth.accounts)
    if not accounts:
        raise AnchorError(
            "the node has no unlocked account (only development chains such as Hardhat have "
            "one): pass a chain account from the key store instead"
        )
    return str(accounts[0])


def _transact(
    w3: Web3,
    sender: ChainAccount | None,
    fields: Mapping[str, Any],
    settings: EvmSettings,
    doing: str,
) -> Mapping[str, Any]:
    """Send one transaction (signed locally, or from the node's unlocked dev account) and wait
    for its receipt; a reverted transaction is an ``AnchorError``."""
    with _translated(doing):
        chain_id = int(w3.eth.chain_id)
        if sender is None:
            tx: dict[str, Any] = {"from": _dev_account(w3), **fields}
            tx_hash = "0x" + bytes(w3.eth.send_transaction(cast(Any, tx))).hex()
        else:
            tx = {"from": sender.address, "value": 0, **fields}
            if "gas" not in tx:
                tx["gas"] = int(w3.eth.estimate_gas(cast(Any, tx)) * 6 // 5)
            tx.pop("from")
            tx.update(
                chainId=chain_id,
                nonce=int(w3.eth.get_transaction_count(cast(Any, sender.address), "pending")),
                **_suggest_fees(w3, settings, None).fields(),
            )
            signed = sender.sign_transaction(tx)
            w3.eth.send_raw_transaction(signed.raw)
            tx_hash = signed.tx_hash
        receipt = cast(
            Mapping[str, Any],
            w3.eth.wait_for_transaction_receipt(
                cast(Any, tx_hash),
                timeout=settings.receipt_timeout_seconds,
                poll_latency=max(settings.poll_interval_seconds, 0.05),
            ),
        )
        if int(receipt.get("status", 0)) != 1:
            raise AnchorError(f"{doing}: transaction {tx_hash} reverted")
        return receipt


def deploy_registry(
    w3: Web3,
    owner: ChainAccount | None = None,
    *,
    settings: EvmSettings | None = None,
    artifact: ContractArtifact | None = None,
) -> Deployment:
    """Deploy a new ``AnchorRegistry`` owned by ``owner`` (``None``: the node's first unlocked
    account, development chains only). The owner is authorised to anchor."""
    settings = settings or EvmSettings()
    artifact = artifact or load_registry_artifact()
    receipt = _transact(
        w3, owner, {"data": "0x" + artifact.bytecode.hex()}, settings, "deploying the registry"
    )
    with _translated("deploying the registry"):
        address = str(Web3.to_checksum_address(receipt["contractAddress"]))
        contract: Any = w3.eth.contract(address=cast(Any, address), abi=cast(Any, artifact.abi))
        chain_id = int(w3.eth.chain_id)
        owner_address = str(contract.functions.owner().call())
    return Deployment(
        chain_id=chain_id,
        contract_address=address,
        owner=owner_address,
        tx_hash=_hex(receipt["transactionHash"]),
        block_number=int(receipt["blockNumber"]),
    )


def authorise_account(
    w3: Web3,
    contract_address: str,
    account_address: str,
    owner: ChainAccount | None = None,
    *,
    settings: EvmSettings | None = None,
) -> str:
    """Let ``account_address`` anchor on the registry (sent by ``owner``; ``None``: the node's
    unlocked dev account). Returns the transaction hash."""
    settings = settings or EvmSettings()
    artifact = load_registry_artifact()
    address = _checksum(contract_address, "registry contract")
    account = _checksum(account_address, "account")
    contract: Any = w3.eth.contract(address=cast(Any, address), abi=cast(Any, artifact.abi))
    data = contract.encode_abi("authorise", args=[account])
    sender = owner.address if owner is not None else None
    with _translated("authorising the account"):
        current_owner = str(contract.functions.owner().call())
        if sender is None:
            sender = _dev_account(w3)
    if current_owner != Web3.to_checksum_address(sender):
        raise AnchorError(
            f"only the registry owner {current_owner} can authorise accounts, not {sender}"
        )
    receipt = _transact(
        w3, owner, {"to": address, "data": data}, settings, "authorising the account"
    )
    return _hex(receipt["transactionHash"])


def fund_account(w3: Web3, to: str, amount_wei: int, *, settings: EvmSettings | None = None) -> str:
    """Send ``amount_wei`` to ``to`` from the node's first unlocked account (development chains:
    Hardhat, a Besu dev network). Returns the transaction hash."""
    if amount_wei <= 0:
        raise InvalidInput("the amount to fund must be positive")
    target = _checksum(to, "recipient")
    receipt = _transact(
        w3,
        None,
        {"to": target, "value": amount_wei},
        settings or EvmSettings(),
        f"funding {target}",
    )
    return _hex(receipt["transactionHash"])


def registry_status(
    w3: Web3,
    contract_address: str | None = None,
    account_address: str | None = None,
    *,
    artifact: ContractArtifact | None = None,
) -> ChainStatus:
    """Chain id, head block, and (when given) whether the registry is ours, its owner, and
    whether ``account_address`` is authorised and funded."""
    artifact = artifact or load_registry_artifact()
    problems: list[str] = []
    with _translated("reading the chain status"):
        chain_id = int(w3.eth.chain_id)
        block = int(w3.eth.block_number)
        contract_ok: bool | None = None
        owner: str | None = None
        authorised: bool | None = None
        balance: int | None = None
        address = _checksum(contract_address, "registry contract") if contract_address else None
        account = _checksum(account_address, "account") if account_address else None
        contract: Any = None
        if address is not None:
            code = bytes(w3.eth.get_code(cast(Any, address)))
            contract_ok = code == artifact.deployed_bytecode
            if not code:
                problems.append(f"no contract at {address}")
            elif not contract_ok:
                problems.append(f"the contract at {address} is not the microcred AnchorRegistry")
            else:
                contract = w3.eth.contract(address=cast(Any, address), abi=cast(Any, artifact.abi))
                owner = str(contract.functions.owner().call())
        if account is not None:
            balance = int(w3.eth.get_balance(cast(Any, account)))
            if balance == 0:
                problems.append(f"account {account} has no funds to pay for gas")
            if contract is not None:
                authorised = bool(contract.functions.isAuthorised(account).call())
                if not authorised:
                    problems.append(f"account {account} is not authorised on the registry")
    return ChainStatus(
        rpc_url=_provider_url(w3),
        chain_id=chain_id,
        block_number=block,
        contract_address=address,
        registry_ok=contract_ok,
        owner=owner,
        account=account,
        account_authorised=authorised,
        account_balance_wei=balance,
        problems=tuple(problems),
    )

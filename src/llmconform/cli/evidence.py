"""`llmconform verify`, `sign` and `keygen`: checking a run's evidence (file I/O edge).

Exit codes: 0 verified, 1 a difference or a bad signature, 2 usage (missing or unreadable file,
or a file that is not an llmconform report).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from llmconform import EDITION
from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.cli.common import fail
from llmconform.engine.select import FilterError
from llmconform.errors import ExitCode
from llmconform.evidence import cassette as cassettes
from llmconform.evidence.signing import (
    MalformedSignature,
    SignatureError,
    generate_keypair,
    sign,
    signature_path,
    verify,
)
from llmconform.evidence.verify import verify_report
from llmconform.report import ReportFormatError, loads
from llmconform.settings.run import read_options

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("verify", short_help="Recompute a report's verdicts from its cassette.")
@click.argument("report", type=_FILE)
@click.option(
    "--cassette",
    type=_FILE,
    default=None,
    help="The run's cassette [default: the one the report names, beside it].",
)
@click.option(
    "--public-key",
    type=_FILE,
    default=None,
    help="Also check REPORT.sig against this Ed25519 public key (PEM).",
)
@click.option(
    "--allow-filtered",
    is_flag=True,
    help="Accept a -k filtered (partial) run; it must still hold every case its filter selects.",
)
def verify_command(
    report: Path, cassette: Path | None, public_key: Path | None, allow_filtered: bool
) -> None:
    """Recompute REPORT from its cassette and fail on any difference, field by field.

    What the exchanges cannot show (target, model, capabilities, options, times) is held to
    what the run recorded in the cassette; a field recorded nowhere is refused.

    The report must also hold every case its recorded APIs, claimed profiles and -k filter
    select (those skipped for an undeclared capability included), and no other.

    \b
    Examples:
      llmconform verify reports/20261129T010000Z/report.json
      llmconform verify report.json --public-key vendor.pub
    """
    data = report.read_bytes()
    if public_key is not None:
        sig = signature_path(report)
        if not sig.is_file():
            fail(f"no signature file {sig.name} beside the report", ExitCode.FAILURES)
        try:
            verify(data, sig.read_text(encoding="utf-8"), public_key.read_bytes())
        except UnicodeDecodeError:
            fail(f"{sig.name} is not a signature document (not UTF-8 text)", ExitCode.USAGE)
        except MalformedSignature as exc:
            fail(f"{sig.name}: {exc}", ExitCode.USAGE)
        except SignatureError as exc:
            fail(f"signature check failed: {exc}", ExitCode.FAILURES)
        click.echo("signature: valid (Ed25519)")
    try:
        parsed = loads(data)
    except ReportFormatError as exc:
        # The wrong file (junit.xml, a cassette) is a usage error, not a conformance failure.
        fail(
            f"{report.name} is not a valid llmconform report: {exc}; "
            "pass the report.json a run wrote",
            ExitCode.USAGE,
        )
    raw = json.loads(data).get("info", {}).get("options", {})  # as written, before parsing
    _, problems = read_options(raw if isinstance(raw, dict) else {"options": raw})
    if problems:  # a report no run wrote: its recorded settings cannot be used to recompute it
        fail(f"{report.name}: {'; '.join(problems[:3])}", ExitCode.USAGE)
    named = (parsed.info.options.get("cassette") or {}).get("path")
    path = cassette or (report.parent / named if named else None)
    if path is None or not path.is_file():
        fail("no cassette: the report names none beside it; pass --cassette", ExitCode.FAILURES)
    try:
        tape = cassettes.load(path)
    except cassettes.CassetteError as exc:
        fail(str(exc), ExitCode.USAGE)  # not a cassette a run wrote: a usage error
    try:
        diffs = verify_report(
            parsed,
            tape,
            # Parsed afresh: a verification must not depend on a cached copy of the catalog.
            load_catalog(known_checks=known_checks(), use_cache=False),
            EDITION,
            cassette_sha256=cassettes.sha256_file(path),
            allow_filtered=allow_filtered,
            document=json.loads(data),  # valid JSON: `loads` read it
        )
    except FilterError as exc:  # the report's recorded -k cannot be parsed
        fail(f"{report.name}: {exc}", ExitCode.USAGE)
    if diffs:
        click.echo(f"NOT VERIFIED: {len(diffs)} difference(s) between the report and the evidence:")
        for line in diffs:
            click.echo(f"  - {line}")
        sys.exit(ExitCode.FAILURES)
    click.echo(
        f"verified: {len(parsed.cases)} cases and the verdict "
        f"({parsed.verdict.value}) follow from the evidence under edition {EDITION}"
    )


@click.command("sign", short_help="Sign a report with Ed25519 (REPORT.sig).")
@click.argument("report", type=_FILE)
@click.option("--key", "key_path", type=_FILE, required=True, help="Ed25519 private key (PEM).")
def sign_command(report: Path, key_path: Path) -> None:
    """Write REPORT.sig, an Ed25519 signature over the report's exact bytes."""
    try:
        doc = sign(report.read_bytes(), key_path.read_bytes())
    except SignatureError as exc:
        fail(str(exc), ExitCode.USAGE)
    out = signature_path(report)
    try:
        out.write_text(doc, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write the signature {out}: {exc.strerror or exc}", ExitCode.USAGE)
    click.echo(f"signed: {out}")


@click.command("keygen", short_help="Create an Ed25519 key pair for signing reports.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the key files.",
)
@click.option("--name", default="llmconform", show_default=True, help="Base name of the files.")
def keygen_command(out_dir: Path, name: str) -> None:
    """Create an Ed25519 key pair: NAME.key (private, mode 0600) and NAME.pub."""
    private, public = generate_keypair()
    key_file, pub_file = out_dir / f"{name}.key", out_dir / f"{name}.pub"
    if key_file.exists():
        fail(f"{key_file} exists; refusing to overwrite a key", ExitCode.USAGE)
    created = False
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
        with os.fdopen(fd, "wb") as fh:
            fh.write(private)
        pub_file.write_bytes(public)
    except OSError as exc:
        if created:  # half a key pair is no key pair
            key_file.unlink(missing_ok=True)
        fail(f"cannot write the key pair into {out_dir}: {exc.strerror or exc}", ExitCode.USAGE)
    click.echo(f"private key: {key_file} (keep it secret)\npublic key:  {pub_file}")

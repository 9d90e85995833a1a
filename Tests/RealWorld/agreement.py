#!/usr/bin/env python3
"""How many of the verdicts EU DSS asserts for the real-world corpus a podpis binary agrees with.

    python3 Tests/RealWorld/agreement.py [PODPIS_BINARY] [--verbose]

Reads Tests/RealWorld/dss-expectations.json (what DSS's own unit tests assert about the files in
../shared/testdata/real-world), runs `podpis verify ... --offline --json --evidence-out` on each, and compares:
B-level validity of each signature and counter-signature, how many timestamps are found and how many are intact,
timestamp verdicts, baseline levels, the legacy profile, and the indication/sub-indication DSS's simple report gives.
Prints one line per disagreement (with --verbose, every assertion) and the agreement rate. Entries whose document
is given only as a digest cannot be run through the CLI: their document-dependent assertions are left out here
(the Swift test, RealWorldTests, checks them in process).
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.normpath(os.path.join(ROOT, "..", "shared", "testdata", "real-world"))


def run(binary, entry, workdir):
    signature = os.path.join(CORPUS, entry["file"])
    args = [binary, "verify"]
    document = entry.get("document")
    if document and document.startswith("text:"):
        path = os.path.join(workdir, "document.txt")
        with open(path, "wb") as f:
            f.write(document[5:].encode())
        args += [path, signature]
    elif document and not document.startswith("sha256:"):
        args += [os.path.join(CORPUS, document), signature]
    else:
        args += [signature]
    for cert in entry.get("certificates", []):
        args += ["--cert", os.path.join(CORPUS, cert)]
    for anchor in entry.get("trust", []):
        args += ["--trust", os.path.join(CORPUS, anchor)]
    evidence_path = os.path.join(workdir, "evidence.json")
    if os.path.exists(evidence_path):
        os.unlink(evidence_path)
    result = subprocess.run(args + ["--offline", "--json", "--evidence-out", evidence_path],
                            capture_output=True, timeout=300, env=dict(os.environ, LANG="C.UTF-8"))
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = None
    evidence = None
    if os.path.exists(evidence_path):
        with open(evidence_path) as f:
            evidence = json.load(f)
    return report, evidence, result


def signature_valid(signature):
    status = {c["id"]: c["status"] for c in signature.get("checks", [])}
    return (status.get("format") in ("passed", "warning") and status.get("signer-certificate") == "passed"
            and status.get("integrity") == "passed" and status.get("signature-value") == "passed")


def counters_of(signatures):
    out = []
    for signature in signatures:
        for counter in signature.get("counterSignatures") or []:
            out.append(counter)
            out += counters_of([counter])
    return out


def evidence_timestamps(evidence):
    def of(signer):
        stamps = list(signer.get("timestamps", []))
        for counter in signer.get("counterSignatures") or []:
            stamps += of(counter)
        return stamps
    stamps = list(evidence.get("timestamps") or [])
    for signer in evidence.get("signers", []):
        stamps += of(signer)
    return stamps


def level(signature):
    fmt = signature.get("format", "")
    return fmt.replace("CAdES-BASELINE-", "") if fmt.startswith("CAdES-BASELINE-") else fmt


def assertions(entry, report, evidence):
    """(name, expected, actual) triples."""
    out = []
    digest_only = (entry.get("document") or "").startswith("sha256:")
    signatures = report.get("signatures", []) if report else []
    if "signatures" in entry and not digest_only:
        for i, expected in enumerate(entry["signatures"]):
            actual = signature_valid(signatures[i]) if i < len(signatures) else None
            out.append((f"signature {i} valid", expected, actual))
        if not entry["signatures"]:
            out.append(("no signatures", 0, len(signatures) if report else None))
    if "counters" in entry and not digest_only:
        counters = counters_of(signatures)
        for i, expected in enumerate(entry["counters"]):
            out.append((f"counter-signature {i} valid", expected, signature_valid(counters[i]) if i < len(counters) else None))
    stamps = evidence_timestamps(evidence) if evidence else None
    expected_stamps = entry.get("timestamps", {})
    if "count" in expected_stamps:
        out.append(("timestamps found", expected_stamps["count"], len(stamps) if stamps is not None else None))
    if "intact" in expected_stamps and not digest_only:
        intact = None if stamps is None else sum(1 for s in stamps if s["imprint"]["outcome"] == "valid" and s["signatureValue"]["outcome"] == "valid")
        out.append(("timestamps intact", expected_stamps["intact"], intact))
    for i, (indication, sub) in enumerate(expected_stamps.get("verdicts", [])):
        summaries = signatures[0]["timestamps"] if signatures else []
        actual = (summaries[i]["indication"], summaries[i]["subIndication"]) if i < len(summaries) else None
        out.append((f"timestamp {i} verdict", (indication, sub), actual))
    for i, expected in enumerate(entry.get("levels", [])):
        out.append((f"signature {i} level", expected, level(signatures[i]) if i < len(signatures) else None))
    for i, expected in enumerate(entry.get("counterLevels", [])):
        counters = counters_of(signatures)
        out.append((f"counter-signature {i} level", expected, level(counters[i]) if i < len(counters) else None))
    if "profile" in entry:
        out.append(("profile", entry["profile"], signatures[0].get("profile") if signatures else None))
    if "standaloneTimestamps" in entry:
        out.append(("bare timestamp tokens reported", entry["standaloneTimestamps"], len(report.get("timestamps") or []) if report else None))
    if "indication" in entry and not digest_only:
        source = report if entry.get("container") or not signatures else signatures[0]
        actual = (source.get("indication"), source.get("subIndication")) if report else None
        expected = (entry["indication"], entry.get("subIndication"))
        if entry["indication"] == "TOTAL-PASSED":
            expected = ("TOTAL-PASSED", None)
        out.append(("indication", expected, actual))
    return out


def main():
    binary = next((a for a in sys.argv[1:] if not a.startswith("--")), os.path.join(ROOT, ".build", "debug", "podpis"))
    verbose = "--verbose" in sys.argv
    with open(os.path.join(HERE, "dss-expectations.json")) as f:
        entries = json.load(f)["files"]
    agreed = total = known = 0
    with tempfile.TemporaryDirectory() as workdir:
        for entry in entries:
            report, evidence, result = run(binary, entry, workdir)
            for name, expected, actual in assertions(entry, report, evidence):
                total += 1
                ok = expected == actual
                agreed += ok
                reason = entry.get("known", {}).get(name)
                known += (not ok and reason is not None)
                if verbose or not ok:
                    mark = "✓" if ok else ("≠" if reason else "✗")
                    print(f"{mark} {entry['file']} [{entry['dss']}] {name}: DSS {expected}, podpis {actual}" + (f" — known: {reason}" if reason and not ok else ""))
    print(f"agreement: {agreed}/{total} = {100.0 * agreed / total:.1f}% ({binary}); of the {total - agreed} differences, {known} are known and deliberate")


if __name__ == "__main__":
    main()

